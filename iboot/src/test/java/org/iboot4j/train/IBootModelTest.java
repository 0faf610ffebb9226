package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.junit.jupiter.api.Test;

/**
 * The loss of every option against the same computation written out here from the parts
 * (online encoder, heads, teacher, BYOL heads): temporal pooling, per-frame loss, two views,
 * one view, v1 = v_ref, two teachers, the SSL term and rho-BYOL.
 */
class IBootModelTest {

    private static PretrainConfig cfg(String teachers, String iboot, String ssl, String method) {
        return TrainFixtures.config(TrainFixtures.yaml(method, teachers, iboot, ssl, "", "", ""));
    }

    /** Online pooled-or-per-frame features of views, as the model should compute them. */
    private static Tensor perFrame(IBootModel m, List<Tensor> views) {
        Tensor x = views.size() == 1 ? views.get(0) : Functional.concat(0, views.toArray(Tensor[]::new));
        return m.online().featureMap(x).mean(new int[] {3, 4}, false);   // (K N, C, T)
    }

    private static Tensor repeat(Tensor t, int k) {
        Tensor[] c = new Tensor[k];
        java.util.Arrays.fill(c, t);
        return Functional.concat(0, c);
    }

    private static double expectedIboot(IBootModel m, Teacher t, Tensor ref, List<Tensor> views, boolean pool, Preprocessing norm) {
        try (var _ = GradMode.disable()) {
            Tensor q = t.frameFeatures(ref, norm, 0);                      // (N, T, D)
            Tensor f = perFrame(m, views);
            var w = m.heads().get(t.name());
            int k = views.size();
            if (pool) return Functional.cosineRegressionLoss(repeat(q.mean(1), k), w.forward(f.mean(2))).item();
            Tensor pred = w.forward(f.permute(0, 2, 1));
            return Functional.cosineRegressionLoss(repeat(q, k).reshape(-1, q.size(2)), pred.reshape(-1, pred.size(2))).item();
        }
    }

    @Test
    void temporalPoolingTwoViewsIsAlgorithmOne() {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "", "iboot");
        Teacher t = TrainFixtures.vitTeacher("vit", 1);
        IBootModel m = IBootModel.create(c, List.of(t));
        List<Tensor> clips = TrainFixtures.clips(3, 2, 5);
        Preprocessing norm = m.dataNormalization();
        double got = m.loss(clips, norm).total().item();
        assertEquals(expectedIboot(m, t, clips.get(0), clips.subList(1, 3), true, norm), got, 1e-6);
        assertTrue(got > 0 && got < 4, "2 - 2 cos is in [0, 4]: " + got);
    }

    @Test
    void perFrameLossComparesFrameByFrame() {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "  TEMPORAL_POOL: false\n", "", "iboot");
        Teacher t = TrainFixtures.vitTeacher("vit", 1);
        IBootModel m = IBootModel.create(c, List.of(t));
        List<Tensor> clips = TrainFixtures.clips(3, 2, 6);
        double got = m.loss(clips, m.dataNormalization()).total().item();
        assertEquals(expectedIboot(m, t, clips.get(0), clips.subList(1, 3), false, m.dataNormalization()), got, 1e-6);
        double pooled = expectedIboot(m, t, clips.get(0), clips.subList(1, 3), true, m.dataNormalization());
        assertTrue(Math.abs(pooled - got) > 1e-4, "per-frame and pooled losses differ");
    }

    @Test
    void oneViewAndV1IsRef() {
        Teacher t = TrainFixtures.vitTeacher("vit", 1);
        PretrainConfig one = cfg(TrainFixtures.VIT_TEACHER, "  NUM_VIEWS: 1\n", "", "iboot");
        IBootModel m = IBootModel.create(one, List.of(t));
        List<Tensor> clips = TrainFixtures.clips(2, 2, 7);
        assertEquals(expectedIboot(m, t, clips.get(0), clips.subList(1, 2), true, m.dataNormalization()),
                m.loss(clips, m.dataNormalization()).total().item(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> m.loss(TrainFixtures.clips(3, 2, 7), m.dataNormalization()));

        PretrainConfig ref = cfg(TrainFixtures.VIT_TEACHER, "  NUM_VIEWS: 1\n  V1_IS_REF: true\n", "", "iboot");
        IBootModel r = IBootModel.create(ref, List.of(t));
        List<Tensor> only = TrainFixtures.clips(1, 2, 8);
        assertEquals(expectedIboot(r, t, only.get(0), only, true, r.dataNormalization()),
                r.loss(only, r.dataNormalization()).total().item(), 1e-6);
    }

    @Test
    void severalTeachersSumTheirLossesEachWithItsOwnHead() {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER + TrainFixtures.RESNET_TEACHER, "", "", "iboot");
        Teacher vit = TrainFixtures.vitTeacher("vit", 1), cnn = TrainFixtures.resnetTeacher("cnn", 2);
        IBootModel m = IBootModel.create(c, List.of(vit, cnn));
        assertEquals(16, m.heads().get("vit").weight.shape()[0]);
        assertEquals(64, m.heads().get("cnn").weight.shape()[0]);
        List<Tensor> clips = TrainFixtures.clips(3, 2, 9);
        IBootModel.Loss loss = m.loss(clips, m.dataNormalization());
        double a = expectedIboot(m, vit, clips.get(0), clips.subList(1, 3), true, m.dataNormalization());
        double b = expectedIboot(m, cnn, clips.get(0), clips.subList(1, 3), true, m.dataNormalization());
        assertEquals(a, loss.terms().get("iboot.vit").item(), 1e-6);
        assertEquals(b, loss.terms().get("iboot.cnn").item(), 1e-6);
        assertEquals(a + b, loss.total().item(), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> IBootModel.create(c, List.of(cnn, vit)), "teachers in config order");
    }

    @Test
    void teachersSeeTheirOwnNormalisation() {
        Teacher t = TrainFixtures.vitTeacher("vit", 1);
        Tensor unit = Tensor.rand(new org.iboot4j.engine.Rng(3), 0, 1, 2, 3, 4, 32, 32);
        Preprocessing data = new Preprocessing(new float[] {0.45f, 0.45f, 0.45f}, new float[] {0.225f, 0.225f, 0.225f});
        Tensor viaData = t.frameFeatures(Normalization.convert(unit, Normalization.UNIT, data), data, 0);
        Tensor direct = t.frameFeatures(unit, Normalization.UNIT, 3);   // chunked by 3 frames
        assertTrue(TrainFixtures.relativeError(viaData.toFloatArray(), direct.toFloatArray()) < 1e-5);
        assertEquals(List.of(2, 4, 16), java.util.Arrays.stream(direct.shape()).boxed().toList());
    }

    @Test
    void sslTermIsTheSymmetricByolLoss() {
        PretrainConfig c = cfg(TrainFixtures.VIT_TEACHER, "", "  ENABLE: true\n  WEIGHT: 0.5\n", "iboot");
        Teacher t = TrainFixtures.vitTeacher("vit", 1);
        IBootModel m = IBootModel.create(c, List.of(t));
        List<Tensor> clips = TrainFixtures.clips(3, 2, 10);
        IBootModel.Loss loss = m.loss(clips, m.dataNormalization());
        double expected;
        try (var _ = GradMode.disable()) {
            Byol b = m.byol();
            Tensor p = b.predictor.forward(b.projector.forward(perFrame(m, clips.subList(1, 3)).mean(2)));
            Tensor x = Functional.concat(0, clips.get(1), clips.get(2));
            Tensor z = b.targetProjector.forward(b.target.featureMap(x).mean(new int[] {3, 4}, false).mean(2));
            Tensor p1 = p.narrow(0, 0, 2), p2 = p.narrow(0, 2, 2), z1 = z.narrow(0, 0, 2), z2 = z.narrow(0, 2, 2);
            expected = (Functional.cosineRegressionLoss(z2, p1).item() + Functional.cosineRegressionLoss(z1, p2).item()) / 2;
        }
        assertEquals(expected, loss.terms().get("ssl").item(), 1e-5);
        assertEquals(loss.terms().get("iboot.vit").item() + 0.5 * expected, loss.total().item(), 1e-5);
        // the target starts as an exact copy of the online encoder and gets no gradient
        m.online().stateDict().forEach((k, v) -> assertEquals(
                TrainFixtures.relativeError(m.byol().target.stateDict().get(k).toFloatArray(), v.toFloatArray()), 0.0, k));
        loss.total().backward();
        m.byol().target.namedParameters().values().forEach(p -> assertNull(p.grad()));
    }

    @Test
    void rhoByolHasNoTeacherAndNoHead() {
        PretrainConfig c = cfg("", "", "  ENABLE: true\n  NUM_VIEWS: 3\n", "rho_byol");
        IBootModel m = IBootModel.create(c, List.of());
        assertTrue(m.heads().isEmpty());
        IBootModel.Loss loss = m.loss(TrainFixtures.clips(3, 2, 11), m.dataNormalization());
        assertEquals(List.of("ssl"), List.copyOf(loss.terms().keySet()));
        double v = loss.total().item();
        assertTrue(v > 0 && v < 4, "loss " + v);
        Map<String, Tensor> state = m.stateDict();
        assertTrue(state.containsKey("blocks.0.conv.weight") && state.containsKey("byol.projector.0.weight")
                && state.containsKey("byol.target.blocks.0.conv.weight") && state.containsKey("byol.target_projector.3.bias"));
        assertTrue(m.trainableParameters().keySet().stream().noneMatch(k -> k.startsWith("byol.target")));
    }

    @Test
    void byolMomentumIsAnnealedLikePySlowFast() {
        assertEquals(0.996, Byol.momentum(0.996, true, 0, 100), 1e-15);
        assertEquals(0.998, Byol.momentum(0.996, true, 50, 100), 1e-15);
        assertEquals(1.0, Byol.momentum(0.996, true, 100, 100), 1e-15);
        assertEquals(0.996, Byol.momentum(0.996, false, 50, 100), 1e-15);
    }
}
