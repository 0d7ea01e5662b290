using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;
using Spectre.Console;

namespace Crema.Cli;

/// <summary>What <c>crema train</c> was asked to do.</summary>
/// <param name="Solver">--solver: the SolverParameter text-format file.</param>
/// <param name="Weights">--weights: a .caffemodel copied into the net before training (fine-tuning), or null.</param>
/// <param name="Snapshot">--snapshot: a .solverstate to resume from, or null.</param>
/// <param name="Engine">--engine.</param>
/// <param name="Data">--data: the folder data layers read from, or null.</param>
internal sealed record TrainOptions(string Solver, string? Weights, string? Snapshot, ComputeEngine Engine, string? Data = null);

/// <summary>
/// <c>crema train</c>: trains the solver's net with SGD until <c>max_iter</c>, showing the progress (a live display on
/// a terminal, plain lines otherwise), the test outputs every <c>test_interval</c> and a summary table; writes the
/// curves as a CSV and a PNG beside the snapshots. Ctrl+C stops after the iteration in progress, writes a snapshot and
/// exits with code 130. Bad input is exit code 2 with one <c>crema: </c> line; an unusable GPU is exit code 3.
/// </summary>
internal static class TrainCommand
{
    /// <summary>How many progress lines a run prints when the solver's <c>display</c> is 0.</summary>
    internal const int DefaultDisplays = 20;

    internal static Command Create()
    {
        var solver = new Option<string>("--solver")
        {
            Description = "The solver: a SolverParameter in Caffe's text format (.prototxt) naming the net",
            HelpName = "FILE",
            Required = true,
        };
        var weights = new Option<string?>("--weights")
        {
            Description = "A binary .caffemodel copied into the layers of the same names before training (fine-tuning)",
            HelpName = "FILE",
        };
        var snapshot = new Option<string?>("--snapshot")
        {
            Description = "A .solverstate to resume training from (written by an earlier run, e.g. on Ctrl+C)",
            HelpName = "FILE",
        };
        var engine = CommonOptions.Engine();
        var data = DataOption.Create();
        var command = new Command("train", "Train a net with the SGD solver; curves as CSV and PNG beside the snapshots; Ctrl+C snapshots and stops")
        {
            solver, weights, snapshot, engine, data,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            new TrainOptions(parse.GetValue(solver)!, parse.GetValue(weights), parse.GetValue(snapshot), parse.GetValue(engine), parse.GetValue(data)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            cancellationToken)));
        return command;
    }

    /// <summary>
    /// Runs the command; returns the exit code. <paramref name="cancellationToken"/> (and Ctrl+C, while training)
    /// stops the training between two iterations, as an interrupt does.
    /// </summary>
    internal static int Run(TrainOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CommandRunner.Run(() => Train(options, output, cancellationToken), error);
    }

    private static int Train(TrainOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        // Everything the user gave is checked before anything is built or written.
        using var dataRoot = DataOption.Apply(options.Data);
        var param = InputFiles.ReadSolver("--solver", options.Solver);
        CheckNetFiles(options.Solver, param);
        if (options.Weights is not null && options.Snapshot is not null)
        {
            throw new BadInputException("give --snapshot to resume training or --weights to fine-tune, not both");
        }

        var trained = options.Weights is null ? null : InputFiles.ReadWeights("--weights", options.Weights);
        if (options.Snapshot is not null)
        {
            InputFiles.RequireFile("--snapshot", options.Snapshot, ".solverstate file");
        }

        // Without a snapshot_prefix the snapshots (Ctrl+C's included) go to artifacts/<solver file name>.
        if (param.SnapshotPrefix.Length == 0)
        {
            param.SnapshotPrefix = Path.Combine("artifacts", Path.GetFileNameWithoutExtension(options.Solver));
        }

        var outputs = OutputPaths.For(param.SnapshotPrefix);
        outputs.CreateFolder();

        Engine.Use(options.Engine);
        var display = TrainingDisplay.Create(output);
        using var solver = NetCommand.UserStep(() => new SgdSolver<float>(param, new DisplayLogger(display)));
        if (trained is not null)
        {
            int layers = NetCommand.UserStep(() => NetWeights.CopyFrom(solver.Net, trained));
            display.Line($"Weights from {options.Weights}: {layers} layers matched by name");
        }

        if (options.Snapshot is not null)
        {
            Restore(solver, options.Snapshot);
            display.Line($"Resuming from {options.Snapshot} at iteration {solver.Iter}");
        }

        var run = new TrainingRun(solver, display, outputs);
        if (options.Snapshot is not null)
        {
            run.Curves.TakeEarlierRows(outputs.Csv, solver.Iter);
        }

        display.Line(run.Describe(options.Engine));
        bool stopped = run.Train(cancellationToken);

        run.WriteCurves();
        display.Console.Write(run.Summary(stopped));
        display.Line($"Curves: {outputs.Csv}");
        display.Line($"Plot: {outputs.Png}");
        string state = solver.SnapshotStem(solver.Iter) + ".solverstate";
        if (File.Exists(state))
        {
            display.Line($"Snapshot: {state}");
        }

        if (stopped)
        {
            display.Line($"Stopped at iteration {solver.Iter}; resume with: crema train --solver {options.Solver} --snapshot {state}");
            return ExitCodes.Interrupted;
        }

        return ExitCodes.Ok;
    }

    // The net files the solver names (net, test_net) exist and parse; the solver would say less about them.
    private static void CheckNetFiles(string solverPath, SolverParameter param)
    {
        if (param.NetParam is null && param.Net.Length > 0)
        {
            InputFiles.ReadNet($"{solverPath}: net", param.Net);
        }

        foreach (string file in param.TestNet)
        {
            InputFiles.ReadNet($"{solverPath}: test_net", file);
        }
    }

    private static void Restore(SgdSolver<float> solver, string path)
    {
        try
        {
            solver.Restore(path);
        }
        catch (InvalidDataException e)
        {
            // "path: what is wrong".
            throw new BadInputException(LayerCommand.OneLine(e));
        }
        catch (UnauthorizedAccessException)
        {
            throw new BadInputException($"--snapshot {path}: permission denied");
        }
        catch (IOException e)
        {
            throw new BadInputException($"--snapshot {path}: cannot read: {LayerCommand.OneLine(e)}");
        }
    }

    /// <summary>Where a run's files go: the snapshot prefix's folder holds the snapshots, the CSV and the PNG.</summary>
    /// <param name="Folder">The prefix's folder (full path).</param>
    /// <param name="Csv">The curves: <c>&lt;prefix&gt;_curves.csv</c>.</param>
    /// <param name="Png">The plot: <c>&lt;prefix&gt;_curves.png</c>.</param>
    internal sealed record OutputPaths(string Folder, string Csv, string Png)
    {
        internal static OutputPaths For(string prefix)
        {
            string full = Path.GetFullPath(prefix);
            string folder = Path.GetDirectoryName(full) ?? full;
            string name = Path.GetFileName(full);
            string stem = Path.Combine(folder, name.Length > 0 ? $"{name}_curves" : "curves");
            return new OutputPaths(folder, Display(stem + ".csv"), Display(stem + ".png"));
        }

        internal void CreateFolder()
        {
            try
            {
                Directory.CreateDirectory(Folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BadInputException($"snapshot_prefix: cannot create the folder {Folder}: {LayerCommand.OneLine(e)}");
            }
        }

        // Paths under the current folder are shown relative to it, as the user would type them.
        private static string Display(string full)
        {
            string relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
            return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative;
        }
    }

    /// <summary>One training run: the solver's hook that feeds the display and the curves, and what it measured.</summary>
    private sealed class TrainingRun
    {
        private readonly SgdSolver<float> solver;
        private readonly TrainingDisplay display;
        private readonly OutputPaths outputs;
        private readonly int displayEvery;
        private readonly int? batchSize;
        private readonly Stopwatch clock = new();
        private int start;
        private int lastTested = -1;
        private double? imagesPerSecond;
        private volatile bool interrupted;

        internal TrainingRun(SgdSolver<float> solver, TrainingDisplay display, OutputPaths outputs)
        {
            this.solver = solver;
            this.display = display;
            this.outputs = outputs;
            var param = solver.Param;
            displayEvery = param.Display > 0 ? param.Display : Math.Max(1, param.MaxIter / DefaultDisplays);
            // The batch: dim 0 of the first top of the first layer (the data layer).
            var tops = solver.Net.TopVecs.Count > 0 ? solver.Net.TopVecs[0] : [];
            batchSize = tops.Count > 0 && tops[0].Shape.Count > 0 ? tops[0].Shape[0] : null;
            Curves = new TrainingCurves(TestColumns(solver));
        }

        internal TrainingCurves Curves { get; }

        internal string Describe(ComputeEngine engine)
        {
            var param = solver.Param;
            string name = solver.Net.Name.Length > 0 ? $"net '{solver.Net.Name}'" : "the net";
            string batch = batchSize is { } b ? $"batch {b} × iter_size {param.IterSize}" : "no batch size (the first layer has no top)";
            return string.Create(
                CultureInfo.InvariantCulture,
                $"Training {name} on the {engine} engine: {batch}, iterations {solver.Iter} to {param.MaxIter}, {solver.TestNets.Count} test net(s); Ctrl+C stops and snapshots");
        }

        /// <summary>Runs the solver to <c>max_iter</c>; returns whether it was stopped before.</summary>
        internal bool Train(CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
            {
                // The first Ctrl+C stops between two iterations; a second one ends the process as usual.
                // The training thread says so (AfterIteration): the display is not written from this one.
                if (!stop.IsCancellationRequested)
                {
                    e.Cancel = true;
                    interrupted = true;
                    stop.Cancel();
                }
            }

            start = solver.Iter;
            solver.AfterIteration.Add(AfterIteration);
            Console.CancelKeyPress += OnCancelKeyPress;
            try
            {
                clock.Start();
                display.Run(start, solver.Param.MaxIter, () => NetCommand.UserStep(() => Solve(stop.Token)));
                clock.Stop();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A snapshot that cannot be written (or a data file that cannot be read): said in one line.
                throw new BadInputException($"training stopped at iteration {solver.Iter}: {LayerCommand.OneLine(e)}");
            }
            finally
            {
                Console.CancelKeyPress -= OnCancelKeyPress;
                solver.AfterIteration.Remove(AfterIteration);
            }

            // Solve's test after the last iteration, at max_iter.
            RecordTest(solver.Iter);
            return solver.Iter < solver.Param.MaxIter;
        }

        internal void WriteCurves()
        {
            try
            {
                Curves.WriteCsv(outputs.Csv);
                TrainingPlot.WritePng(Curves, $"{solver.Net.Name} ({solver.Param.MaxIter} iterations)".TrimStart(), outputs.Png);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BadInputException($"cannot write the curves in {outputs.Folder}: {LayerCommand.OneLine(e)}");
            }
        }

        internal Table Summary(bool stopped)
        {
            var param = solver.Param;
            var rows = new List<(string, string)>
            {
                ("iterations", string.Create(CultureInfo.InvariantCulture, $"{start} → {solver.Iter} of {param.MaxIter}{(stopped ? " (stopped)" : "")}")),
                ("time", TrainingStatus.FormatDuration(clock.Elapsed)),
                ("images/s", imagesPerSecond is { } rate ? rate.ToString("F0", CultureInfo.InvariantCulture) : "-"),
                ("train loss (smoothed)", solver.Iter > start ? CaffeFormat.Number(solver.SmoothedLoss) : "-"),
                ("learning rate", CaffeFormat.Number(solver.LearningRate)),
            };
            foreach (var result in solver.LastTestResults)
            {
                string net = solver.LastTestResults.Count > 1 ? $"test net #{result.NetIndex} " : "test ";
                foreach (var score in result.Scores)
                {
                    string element = result.Scores.Count(s => s.BlobName == score.BlobName) > 1 ? $"[{score.Index}]" : "";
                    rows.Add(($"{net}{score.BlobName}{element} (iteration {result.Iteration})", CaffeFormat.Number(score.Value)));
                }
            }

            return SummaryTable(stopped ? "Training stopped" : "Training done", rows);
        }

        private static Table SummaryTable(string title, IEnumerable<(string What, string Value)> rows)
        {
            var table = new Table { Title = new TableTitle(title) }
                .AddColumn("")
                .AddColumn(new TableColumn("").RightAligned());
            table.ShowHeaders = false;
            foreach (var (what, value) in rows)
            {
                table.AddRow(Markup.Escape(what), Markup.Escape(value));
            }

            return table;
        }

        // The columns of the test outputs: every element of every output blob of every test net, in Caffe's order.
        private static List<CurveColumn> TestColumns(SgdSolver<float> solver)
        {
            var columns = new List<CurveColumn>();
            for (int n = 0; n < solver.TestNets.Count; n++)
            {
                var net = solver.TestNets[n];
                string prefix = n == 0 ? "test_" : $"test{n}_";
                for (int b = 0; b < net.OutputBlobs.Count; b++)
                {
                    int blob = net.OutputBlobIndices[b];
                    string name = NetCommand.SafeName(net.BlobNames[blob]);
                    bool isLoss = net.BlobLossWeights[blob] != 0;
                    long count = net.OutputBlobs[b].Count;
                    for (long e = 0; e < count; e++)
                    {
                        columns.Add(new CurveColumn(count == 1 ? prefix + name : $"{prefix}{name}_{e}", isLoss));
                    }
                }
            }

            return columns;
        }

        private void Solve(CancellationToken token) => solver.Solve(resumeFile: null, token);

        // The solver's hook, at the end of each iteration. The curves take the loss of display iterations (every
        // `display`, or 20 a run when display is 0), on either engine. On the GPU engine the loss is read (a host
        // sync) only then, where the solver has waited for the device already; on the CPU reading it costs nothing,
        // so the live display shows it every iteration.
        private void AfterIteration(int iteration)
        {
            var param = solver.Param;
            bool displayIteration = iteration % displayEvery == 0;
            double rate = SgdSolver<float>.LearningRateAt(param, iteration);
            float? loss = displayIteration || Engine.Current == ComputeEngine.Cpu ? solver.SmoothedLoss : null;
            if (displayIteration)
            {
                Curves.AddTraining(iteration, loss!.Value, rate);
            }

            RecordTest(iteration);
            int done = solver.Iter - start;
            double seconds = clock.Elapsed.TotalSeconds;
            imagesPerSecond = batchSize is { } batch && seconds > 0 ? (double)batch * param.IterSize * done / seconds : null;
            var eta = TimeSpan.FromSeconds(done > 0 ? seconds / done * Math.Max(0, param.MaxIter - solver.Iter) : 0);
            display.Update(new TrainingStatus(iteration, param.MaxIter, loss, rate, imagesPerSecond, eta), displayIteration);
            if (interrupted)
            {
                interrupted = false;
                display.Line($"Ctrl+C: stopping after iteration {iteration} and writing a snapshot (Ctrl+C again to abort)");
            }
        }

        // The test results of iteration k (run at its start), once.
        private void RecordTest(int iteration)
        {
            var results = solver.LastTestResults;
            if (results.Count == 0 || results[0].Iteration != iteration || lastTested == iteration)
            {
                return;
            }

            lastTested = iteration;
            Curves.AddTest(iteration, SgdSolver<float>.LearningRateAt(solver.Param, iteration), [.. results.SelectMany(r => r.Scores.Select(s => s.Value))]);
        }
    }
}
