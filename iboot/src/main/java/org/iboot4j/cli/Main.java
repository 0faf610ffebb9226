package org.iboot4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code iboot} command: one entry point, one subcommand per job. */
@Command(name = "iboot", mixinStandardHelpOptions = true, version = "iboot4j 0.1.0",
        description = "iboot4j: a pure-Java deep-learning engine and the iBoot video trainer.",
        subcommands = {DemoCommand.class, EvalCommand.class, ExtractCommand.class, InfoCommand.class, PretrainCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error reporting, for main and for tests. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Bad input is reported as one line naming the problem; IBOOT_DEBUG=1 adds the trace.
            cmd.getErr().println("iboot " + cmd.getCommandName() + ": " + e.getMessage());
            if (System.getenv("IBOOT_DEBUG") != null) e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
