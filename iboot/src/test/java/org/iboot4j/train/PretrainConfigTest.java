package org.iboot4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every file in iboot/configs loads and validates; bad files fail naming the key and the file. */
class PretrainConfigTest {
    private static final Path CONFIGS = Path.of("configs");

    private static List<Path> configFiles() throws Exception {
        try (Stream<Path> s = Files.list(CONFIGS)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    private static PretrainConfig load(String name) throws Exception {
        return PretrainConfig.load(CONFIGS.resolve(name));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyConfigFileLoadsAndValidates() throws Exception {
        List<Path> files = configFiles();
        assertTrue(files.size() >= 13, "configs found: " + files);
        for (Path f : files) {
            PretrainConfig c = PretrainConfig.load(f);
            // the canonical form re-reads to the same configuration (it is what checkpoints store)
            PretrainConfig again = PretrainConfig.fromCanonical(c.canonical(), f + " (canonical)");
            assertEquals(List.of(), again.differencesFrom(c.canonical()), f.toString());
            assertEquals(List.of(), c.differencesFrom((Map<String, Object>) JsonText.read(JsonText.write(c.canonical()))),
                    f + ": JSON round trip");
        }
    }

    @Test
    void theMainConfigIsThePapersSetting() throws Exception {
        PretrainConfig c = load("k400_iboot_clip_vitb16.yaml");
        assertEquals(PretrainConfig.Method.IBOOT, c.method());
        assertEquals(8, c.data().numFrames());
        assertEquals(8, c.data().samplingRate());
        assertEquals(224, c.data().cropSize());
        assertEquals(256, c.data().minScale());
        assertEquals(320, c.data().maxScale());
        assertEquals(104, c.train().batchSize());
        assertEquals(100, c.solver().maxEpoch());
        assertEquals(8, c.solver().warmupEpochs());
        assertEquals(2.4 * 104 / 256, c.scaledLr(), 1e-12);
        assertEquals(1e-6, c.solver().weightDecay());
        assertEquals(0.001, c.solver().larsTrust());
        assertEquals(0.9, c.solver().momentum());
        assertEquals(PretrainConfig.Optimizer.LARS, c.solver().optimizer());
        assertEquals(PretrainConfig.Arch.SLOW_R50, c.model().arch());
        assertArrayEquals(new int[] {3, 4, 6, 3}, c.model().depths());
        assertTrue(c.iboot().temporalPool());
        assertEquals(3, c.clipsPerVideo());
        assertEquals(List.of("v_ref", "v1", "v2"), c.clipNames());
        assertEquals("clip", c.iboot().teachers().get(0).name());
        assertEquals(0.8, c.aug().colorJitterProb());
        assertEquals(0.2, c.aug().grayscaleProb());
        assertEquals(0.5, c.aug().blurProb());
        assertFalse(c.usesSsl());
    }

    @Test
    void eachAblationChangesWhatItShould() throws Exception {
        assertEquals(2, load("k400_iboot_clip_dino.yaml").iboot().teachers().size());
        assertTrue(load("k400_iboot_clip_ssl.yaml").usesSsl());
        assertFalse(load("k400_iboot_clip_perframe.yaml").iboot().temporalPool());
        assertEquals(2, load("k400_iboot_clip_1view.yaml").clipsPerVideo());
        PretrainConfig ref = load("k400_iboot_clip_v1_ref.yaml");
        assertEquals(1, ref.clipsPerVideo());
        assertTrue(ref.iboot().v1IsRef());
        assertArrayEquals(new int[] {3, 4, 23, 3}, load("k400_iboot_clip_r101.yaml").model().depths());
        PretrainConfig big = load("k400_iboot_clip_bs416_ep200.yaml");
        assertEquals(416, big.train().batchSize());
        assertEquals(200, big.solver().maxEpoch());
        assertEquals("kinetics600", load("k600_iboot_clip_vitb16.yaml").data().dataset());
        assertEquals(PretrainConfig.TeacherKind.RESNET, load("k400_iboot_swav_r50w2.yaml").iboot().teachers().get(0).kind());
        PretrainConfig byol = load("k400_rho_byol.yaml");
        assertEquals(PretrainConfig.Method.RHO_BYOL, byol.method());
        assertEquals(List.of("v1", "v2"), byol.clipNames());
        assertTrue(byol.iboot().teachers().isEmpty());
        assertEquals(PretrainConfig.Init.INFLATE, load("k400_rho_byol_inflated.yaml").model().init());
    }

    private static String bad(String yaml) {
        return assertThrows(IllegalArgumentException.class, () -> PretrainConfig.parse(yaml, "bad.yaml")).getMessage();
    }

    private static final String OK = TrainFixtures.yaml("iboot", TrainFixtures.VIT_TEACHER, "", "", "", "", "");

    @Test
    void unknownKeysAreErrorsNamingTheKeyAndTheFile() {
        String m = bad(OK.replace("  BASE_LR: 2.4\n", "  BASE_LR: 2.4\n  BASE_LRR: 3\n"));
        assertTrue(m.startsWith("bad.yaml: ") && m.contains("'SOLVER.BASE_LRR'"), m);
        m = bad(OK + "EXTRA_SECTION: 1\n");
        assertTrue(m.contains("'EXTRA_SECTION'"), m);
        m = bad(OK.replace("NAME: vit,", "NAME: vit, COLOUR: red,"));
        assertTrue(m.contains("'IBOOT.TEACHERS.0.COLOUR'"), m);
    }

    @Test
    void missingRequiredKeysAreNamed() {
        assertTrue(bad(OK.replace("  BASE_LR: 2.4\n", "")).contains("missing required key 'SOLVER.BASE_LR'"));
        assertTrue(bad(OK.replace("METHOD: iboot\n", "")).contains("missing required key 'METHOD'"));
        assertTrue(bad(OK.replace("  BATCH_SIZE: 2\n", "")).contains("missing required key 'TRAIN.BATCH_SIZE'"));
        assertTrue(bad(OK.replace("  ARCH: slow_custom\n", "")).contains("missing required key 'MODEL.ARCH'"));
        assertTrue(bad(TrainFixtures.yaml("iboot", "", "", "", "", "", "")).contains("missing required key 'IBOOT.TEACHERS'"));
        assertTrue(bad(OK.replace("KIND: vit, CHECKPOINT: unused.safetensors", "KIND: vit"))
                .contains("missing required key 'IBOOT.TEACHERS.0.CHECKPOINT'"));
    }

    @Test
    void valuesAreCheckedWithTheKeyInTheMessage() {
        assertTrue(bad(OK.replace("BASE_LR: 2.4", "BASE_LR: fast")).contains("'SOLVER.BASE_LR' must be a finite number"));
        assertTrue(bad(OK.replace("METHOD: iboot", "METHOD: simclr")).contains("'METHOD' must be one of"));
        assertTrue(bad(OK.replace("TRAIN_CROP_SIZE: 32", "TRAIN_CROP_SIZE: 64")).contains("DATA.TRAIN_JITTER_SCALES"));
        assertTrue(bad(OK + "  ACCUMULATION_STEPS: 3\n").contains("'TRAIN.ACCUMULATION_STEPS'"));
        assertTrue(bad(OK.replace("IBOOT:\n", "IBOOT:\n  V1_IS_REF: true\n")).contains("'IBOOT.V1_IS_REF' needs NUM_VIEWS: 1"));
        assertTrue(bad(OK.replace("IBOOT:\n", "IBOOT:\n  NUM_VIEWS: 1\n").replace("SSL:\n", "SSL:\n  ENABLE: true\n"))
                .contains("'SSL.ENABLE' needs at least two online views"));
        assertTrue(bad(TrainFixtures.yaml("rho_byol", TrainFixtures.VIT_TEACHER, "", "  ENABLE: true\n", "", "", ""))
                .contains("'IBOOT.TEACHERS' must be empty with METHOD: rho_byol"));
        assertTrue(bad(TrainFixtures.yaml("rho_byol", "", "", "", "", "", "")).contains("'SSL.ENABLE' must be true"));
        assertTrue(bad(OK.replace("  WIDTH: 4\n", "  WIDTH: 4\n  INIT: inflate\n")).contains("'MODEL.INIT_CHECKPOINT' is required"));
        assertTrue(bad(OK.replace("ARCH: slow_custom", "ARCH: slow_r50")).contains("use ARCH: slow_custom"));
        assertTrue(bad(OK + "  SEED: [1, 2]\n").contains("'TRAIN.SEED' must be an integer"));
        assertTrue(bad("METHOD: [unclosed\n").startsWith("bad.yaml: not valid YAML"));
        assertTrue(bad(OK.replace("NAME: vit", "NAME: Vit-B")).contains("must match [a-z0-9_]+"));
        assertTrue(bad(OK + "TRAIN:\n  SEED: 1\n").contains("bad.yaml: not valid YAML"), "duplicate keys are errors");
    }

    @Test
    void resumeComparisonIgnoresRunControlKeysOnly() {
        PretrainConfig a = TrainFixtures.config(OK);
        PretrainConfig b = TrainFixtures.config(OK.replace("  LOG_PERIOD: 1\n", "  LOG_PERIOD: 7\n  OUTPUT_DIR: elsewhere\n")
                .replace("CHECKPOINT: unused.safetensors", "CHECKPOINT: moved.safetensors"));
        assertEquals(List.of(), b.differencesFrom(a.canonical()));
        PretrainConfig c = TrainFixtures.config(OK.replace("BASE_LR: 2.4", "BASE_LR: 2.5"));
        List<String> d = c.differencesFrom(a.canonical());
        assertEquals(1, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("SOLVER.BASE_LR: was 2.4, now 2.5"), d.toString());
    }
}
