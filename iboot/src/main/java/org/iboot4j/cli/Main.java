package org.iboot4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code iboot} command: one entry point, one subcommand per job. */
@Command(name = "iboot", mixinStandardHelpOptions = true, version = "iboot4j 0.1.0",
        description = "iboot4j: a pure-Java deep-learning engine and the iBoot video trainer.",
        subcommands = {DemoCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
