using Crema.IO;
using ScottPlot;

namespace Crema.Cli;

/// <summary>
/// The PNG <c>crema train</c> writes beside its CSV: the training loss and the test losses against the iteration on the
/// left axis, the other test outputs (accuracies) on the right axis, from 0 to 1.
/// </summary>
internal static class TrainingPlot
{
    internal const int Width = 1000;
    internal const int Height = 560;

    /// <summary>Renders <paramref name="curves"/> (a temporary file renamed over <paramref name="path"/>).</summary>
    internal static void WritePng(TrainingCurves curves, string title, string path)
    {
        using var plot = new Plot();
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "iteration";
        plot.Axes.Left.Label.Text = "loss";

        var (iterations, loss) = curves.TrainingLoss();
        Add(plot, iterations, loss, "train loss", right: false);
        bool accuracies = false;
        for (int c = 0; c < curves.TestColumns.Count; c++)
        {
            var column = curves.TestColumns[c];
            var (tested, values) = curves.Test(c);
            Add(plot, tested, values, column.Column, right: !column.IsLoss);
            accuracies |= !column.IsLoss && tested.Length > 0;
        }

        plot.Font.Set("DejaVu Sans");
        plot.ShowLegend(Edge.Bottom);
        plot.Axes.AutoScale();
        if (accuracies)
        {
            plot.Axes.Right.Label.Text = "accuracy";
            plot.Axes.SetLimitsY(-0.02, 1.02, plot.Axes.Right);
        }

        using var file = AtomicFile.Create(path);
        file.Stream.Write(plot.GetImageBytes(Width, Height, ImageFormat.Png));
        file.Commit();
    }

    private static void Add(Plot plot, double[] xs, double[] ys, string label, bool right)
    {
        if (xs.Length == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.LineWidth = 2;
        // Markers only where the points are sparse (tests), or a single point would not show.
        scatter.MarkerSize = xs.Length > 60 ? 0 : 5;
        if (right)
        {
            scatter.Axes.YAxis = plot.Axes.Right;
        }
    }
}
