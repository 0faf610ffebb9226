package org.iboot4j.cli;

import java.util.concurrent.Callable;
import org.iboot4j.demo.SpiralDemo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code iboot demo}: trains a small MLP with the engine and prints its loss falling. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a two-hidden-layer MLP on a synthetic 3-class spiral and print the"
                + " loss and accuracy as it learns (an end-to-end check of tensors, autograd"
                + " and the CPU backend).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--steps", description = "Training steps (default: ${DEFAULT-VALUE}).")
    int steps = 600;

    @Option(names = "--hidden", description = "Width of each hidden layer (default: ${DEFAULT-VALUE}).")
    int hidden = 64;

    @Option(names = "--lr", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
    float lr = 0.5f;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() {
        SpiralDemo.Result r = new SpiralDemo(hidden, lr, seed).train(steps, 50, System.out::println);
        System.out.printf("loss %.4f -> %.4f, training accuracy %.1f%%%n",
                r.firstLoss(), r.lastLoss(), 100 * r.accuracy());
        return r.lastLoss() < r.firstLoss() ? 0 : 1;
    }
}
