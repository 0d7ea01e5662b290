using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// Label smoothing and class weights with PyTorch's definitions: values from
/// <c>torch.nn.functional.cross_entropy</c> (PyTorch 1.13, float64, autograd for the gradient) on logits
/// (2, 3, 2) = (N, C, d) and targets (2, 2). The weights are the float32 values [0.2, 1, 2.5] and ε is float32 0.1,
/// widened to float64, as the layer reads them from <see cref="LossParameter"/>.
/// </summary>
internal static class PyTorchCases
{
    internal static readonly int[] Shape = [2, 3, 2];
    internal static readonly int[] LabelShape = [2, 2];

    // Multiples of 1/8: the same values in float and double.
    internal static readonly double[] Logits = [0.5, -1.25, 1.75, 0.375, -0.5, 2.25, -2.0, 0.875, 0.125, -0.625, 1.25, 0.0];
    internal static readonly double[] Labels = [2, 0, 1, 1];
    internal static readonly float[] Weights = [0.2f, 1f, 2.5f];

    internal static IEnumerable<TestCaseData> All()
    {
        yield return Case("SmoothingOnly", p => p.LabelSmoothing = 0.1f, 2.3405547347067315,
            [0.043125817541903214, -0.22695478476485353, 0.17127675183025656, 0.02405960776099679, -0.21440256937215976, 0.20289517700385673,
             -0.0012236354192347908, 0.14410641782617112, -0.1738045602389655, -0.19931942696806615, 0.17502819565820027, 0.05521300914189499]);
        yield return Case("WeightsOnly", p => p.Weight.AddRange(Weights), 2.258527281400938,
            [0.10948755524847457, -0.04146748172861907, 0.3821491173912275, 0.005513692200963201, -0.49163667263970207, 0.03595378952765586,
             0.006050806837248241, 0.12973595845703828, -0.16210317194315627, -0.18381795212436633, 0.156052365105908, 0.054081993667328035]);
        yield return Case("WeightsAndSmoothing", p =>
        {
            p.Weight.AddRange(Weights);
            p.LabelSmoothing = 0.1f;
        }, 2.165560202752352,
            [0.10252174594655483, -0.03806965185760324, 0.35569469648732577, 0.0012702344832383236, -0.4582164424338806, 0.03679941737436493,
             0.004773552575136854, 0.1313446911213469, -0.14673664289641397, -0.16895810129155955, 0.14196309032127707, 0.03761341017021263]);
        yield return Case("WeightsAndSmoothing_Sum", p =>
        {
            p.Weight.AddRange(Weights);
            p.LabelSmoothing = 0.1f;
            p.Normalization = NormalizationMode.None;
        }, 10.178132959389924,
            [0.48185220625434627, -0.17892736384419164, 1.6717650745504837, 0.00597010207500571, -2.15361728080483, 0.17295726176918594,
             0.02243569711736951, 0.6173200486617682, -0.6896622220504549, -0.7941030765738643, 0.6672265249330852, 0.17678302791209605]);
        yield return Case("WeightsAndSmoothing_IgnoreLabel1", p =>
        {
            p.Weight.AddRange(Weights);
            p.LabelSmoothing = 0.1f;
            p.IgnoreLabel = 1;
        }, 2.5222521628077286,
            [0.17846377989721587, -0.06626939394321979, 0.6191722491500766, 0.002211148914228137, -0.7976360290472925, 0.06405824502899166,
             0, 0, 0, 0, 0, 0]);
        yield return Case("SmoothingOne", p => p.LabelSmoothing = 1f, 1.6280547358864066,
            [-0.03187418233392044, -0.07695478501320624, 0.0962767519544329, -0.05094039211482686, -0.06440256962051245, 0.1278951771280331,
             -0.07622363529505845, 0.06910641795034748, -0.02380456048731821, -0.049319427216418826, 0.10002819578237664, -0.019786990733928658]);
    }

    private static TestCaseData Case(string name, Action<LossParameter> configure, double loss, double[] gradient)
    {
        var param = new LossParameter();
        configure(param);
        return new TestCaseData(param, loss, gradient).SetArgDisplayNames(name);
    }
}
