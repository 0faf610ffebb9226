package org.iboot4j.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.iboot4j.data.dataset.VideoDataset;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.models.vit.Preprocessing;
import org.iboot4j.train.PretrainConfig;
import org.iboot4j.train.Teacher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo split, a few teacher training steps, and the saved teacher loading as iBoot's target. */
class TeacherTrainerTest {
    static Path root() {
        return Path.of(System.getProperty("iboot.testData", "../test-data")).toAbsolutePath().getParent();
    }

    @Test
    void theSplitIsTenAndFivePerClassAndMatchesTheShippedLists() throws Exception {
        VideoDataset all = DemoData.all(root());
        VideoDataset train = DemoData.split(all, false), test = DemoData.split(all, true);
        assertArrayEquals(new int[] {10, 10, 10, 10}, train.classCounts());
        assertArrayEquals(new int[] {5, 5, 5, 5}, test.classCounts());
        assertTrue(train.samples().stream().noneMatch(test.samples()::contains));
        Path shipped = DemoData.teacherDir(root());
        assertEquals(train.samples(), DemoData.readList(root(), shipped.resolve(DemoData.TRAIN_LIST)).samples());
        assertEquals(test.samples(), DemoData.readList(root(), shipped.resolve(DemoData.TEST_LIST)).samples());
    }

    @Test
    void trainsSavesAndLoadsAsAnIBootTeacher(@TempDir Path dir) throws Exception {
        VideoDataset all = DemoData.all(root());
        VideoDataset few = new VideoDataset(DemoData.split(all, false).samples().subList(0, 4), all.classes());
        TeacherTrainer.Settings s = TeacherTrainer.Settings.defaults().withSteps(3);
        s = new TeacherTrainer.Settings(3, 8, s.lr(), s.warmupFraction(), s.weightDecay(), 1, s.augment());
        TeacherTrainer.Result r = TeacherTrainer.train(few, null, s, null);
        assertEquals(4 * 90, r.trainFrames());
        assertTrue(Double.isFinite(r.lastLoss()));
        Path file = dir.resolve("teacher.safetensors");
        TeacherTrainer.save(r.model(), file, Map.of("steps", "3"), r.centre());
        assertTrue(Files.size(file) < 4_000_000, "the teacher is small: " + Files.size(file));

        Teacher t = Teacher.load(new PretrainConfig.TeacherSpec("synth", PretrainConfig.TeacherKind.RESNET, file.toString(), 0,
                null, null));
        assertEquals(512, t.dim());
        Tensor clips = Tensor.rand(new Rng(2), 0, 1, 2, 3, 4, 64, 64);
        Tensor q = t.frameFeatures(clips, new Preprocessing(new float[] {0, 0, 0}, new float[] {1, 1, 1}), 0);
        assertArrayEquals(new int[] {2, 4, 512}, q.shape());
        // the loaded teacher's features are the trained model's pooled features (its fc is not used)
        try (var ignored = GradMode.disable()) {
            Tensor img = Preprocessing.IMAGENET.normalize(clips.select(2, 1));
            r.model().eval();
            assertArrayEquals(r.model().features(img).toFloatArray(), q.select(1, 1).contiguous().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void theShippedTeacherLoads() throws Exception {
        Path file = DemoData.teacherDir(root()).resolve(DemoData.TEACHER_FILE);
        Teacher t = Teacher.load(new PretrainConfig.TeacherSpec("synth", PretrainConfig.TeacherKind.RESNET, file.toString(), 0,
                null, null));
        assertEquals(512, t.dim());
        assertEquals(Preprocessing.IMAGENET, t.normalization());
        assertTrue(Files.size(file) < 4_000_000, "a few MB at most: " + Files.size(file));
        // it was trained to the end: the metadata records a held-out loss well below the mean predictor's (about 1.6)
        try (var r = org.iboot4j.nn.io.SafetensorsReader.open(file)) {
            assertTrue(Double.parseDouble(r.metadata().get("loss_held_out")) < 0.5, r.metadata().toString());
            assertEquals(TeacherTrainer.architecture().toString(), r.metadata().get("architecture"));
        }
    }
}
