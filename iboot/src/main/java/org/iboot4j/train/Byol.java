package org.iboot4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.iboot4j.engine.Functional;
import org.iboot4j.engine.GradMode;
import org.iboot4j.engine.Rng;
import org.iboot4j.engine.Tensor;
import org.iboot4j.nn.Module;
import org.iboot4j.nn.layers.Activation;
import org.iboot4j.nn.layers.BatchNorm;
import org.iboot4j.nn.layers.Linear;
import org.iboot4j.nn.layers.Sequential;
import org.iboot4j.nn.models.resnet.SlowResNet;

/**
 * The momentum-encoder self-supervised term of rho-BYOL (Feichtenhofer et al. 2021, after Grill
 * et al.'s BYOL), used alone as the baseline trainer (Table 1 row 1, Table 9) and as iBoot's
 * optional extra loss (Table 3).
 *
 * <p>Parts, named as in the weights file under {@code byol.}:
 * <ul>
 *   <li>{@code projector}: MLP 2048 -> 4096 -> 256 ({@code 0} Linear, {@code 1} BatchNorm1d,
 *       ReLU, {@code 3} Linear), on the online encoder's globally pooled features;
 *   <li>{@code predictor}: MLP 256 -> 4096 -> 256, same layout;
 *   <li>{@code target} and {@code target_projector}: the momentum (EMA) copies of the online
 *       encoder and projector, never trained by gradients (PySlowFast's {@code backbone_hist}).
 * </ul>
 * Loss for K >= 2 views of each video: for every ordered pair of different views (i, j), the
 * mean over videos of 2 - 2 cos(predictor(projector(f(v_i))), target_projector(target(v_j))),
 * averaged over the K (K - 1) pairs — for K = 2 the symmetric BYOL loss (L(1->2) + L(2->1)) / 2.
 * (BYOL sums the two directions; averaging keeps the term on the scale of one iBoot term. With
 * LARS the overall scale of a loss hardly matters: the trust ratio normalises the step.)
 *
 * <p>The EMA, as PySlowFast's ContrastiveModel: once per optimiser step, BEFORE the forward
 * pass, target = m target + (1 - m) online for every parameter (buffers are not averaged: the
 * target's batch-norm runs in training mode and keeps its own statistics), with m annealed from
 * MOMENTUM (0.996) to 1 by {@code 1 - (1 - m0) (cos(pi epoch / MAX_EPOCH) + 1) / 2}. The target
 * starts as an exact copy of the online network.
 */
public final class Byol extends Module {
    public final Sequential projector, predictor, targetProjector;
    public final SlowResNet target;

    Byol(SlowResNet online, int mlpDim, int dim, Rng rng) {
        int c = online.featureDim();
        projector = registerModule("projector", mlp(c, mlpDim, dim, rng));
        predictor = registerModule("predictor", mlp(dim, mlpDim, dim, rng));
        target = registerModule("target", new SlowResNet(online.config(), new Rng(0)));
        targetProjector = registerModule("target_projector", mlp(c, mlpDim, dim, new Rng(0)));
        target.requiresGrad(false);
        targetProjector.requiresGrad(false);
        copyToTarget(online);
    }

    /** Linear(bias) - BatchNorm1d - ReLU - Linear(bias), as torch.nn.Sequential names it. */
    static Sequential mlp(int in, int hidden, int out, Rng rng) {
        return new Sequential(new Linear(in, hidden, true, rng), BatchNorm.bn1d(hidden, 1e-5f, 0.1f),
                Activation.relu(), new Linear(hidden, out, true, rng));
    }

    /** The trainable parameters (projector and predictor), by name under this module. */
    Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        projector.namedParameters().forEach((k, v) -> out.put("projector." + k, v));
        predictor.namedParameters().forEach((k, v) -> out.put("predictor." + k, v));
        return out;
    }

    /** Makes the target an exact copy of the online encoder and projector (weights and buffers). */
    void copyToTarget(SlowResNet online) {
        target.loadStateDict(online.stateDict());
        targetProjector.loadStateDict(projector.stateDict());
    }

    /** The annealed EMA momentum at a fractional epoch. */
    static double momentum(double base, boolean annealing, double epochExact, double maxEpoch) {
        if (!annealing) return base;
        return 1 - (1 - base) * (Math.cos(Math.PI * epochExact / maxEpoch) + 1.0) * 0.5;
    }

    /** target = m target + (1 - m) online, for the parameters of the encoder and the projector. */
    void updateTarget(SlowResNet online, double m) {
        try (var _ = GradMode.disable()) {
            ema(target.namedParameters(), online.namedParameters(), m);
            ema(targetProjector.namedParameters(), projector.namedParameters(), m);
        }
    }

    private static void ema(Map<String, Tensor> targets, Map<String, Tensor> online, double m) {
        float keep = (float) m, take = (float) (1.0 - m);
        targets.forEach((name, t) -> t.copyFrom(online.get(name).mul(take).add(t.mul(keep))));
    }

    /**
     * The BYOL term for online pooled features (K N, C) of the views x (K N, 3, T, H, W) (views
     * stacked along the batch, view-major).
     */
    Tensor loss(Tensor onlinePooled, Tensor x, int views) {
        if (views < 2) throw new IllegalArgumentException("BYOL needs at least two views per video, got " + views);
        Tensor p = predictor.forward(projector.forward(onlinePooled));
        Tensor z;
        try (var _ = GradMode.disable()) {
            Tensor pooled = target.featureMap(x).mean(new int[] {3, 4}, false).mean(2);
            z = targetProjector.forward(pooled);
        }
        int n = p.size(0) / views;
        Tensor sum = null;
        for (int shift = 1; shift < views; shift++) {
            // row block i of `rolled` is the target of view (i + shift) mod K
            Tensor rolled = Functional.concat(0, z.narrow(0, shift * n, (views - shift) * n), z.narrow(0, 0, shift * n));
            Tensor term = Functional.cosineRegressionLoss(rolled, p);
            sum = sum == null ? term : sum.add(term);
        }
        return views == 2 ? sum : sum.div(views - 1);
    }

    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("Byol is driven by IBootModel.loss");
    }
}
