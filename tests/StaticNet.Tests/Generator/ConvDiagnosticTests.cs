using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace StaticNet.Tests.Generator;

/// <summary>
/// The conv layers' bad declarations (SNET027-SNET032, and the shared size rules SNET005, SNET010, SNET023 as conv
/// layers meet them): one error each, at the offending attribute, with a message that names the numbers, and no code.
/// </summary>
public class ConvDiagnosticTests
{
    private static string Single(string layers, string id, string expectedText, string input = "Input(1, 8, 8)")
    {
        string source = $$"""
            using StaticNet;
            [Network] [{{input}}] {{layers}}
            public partial class Net;
            """;
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(expectedText, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        return d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Dense_on_an_image_without_Flatten() =>
        Assert.Equal("[Dense] takes a vector, but its input is (2, 6, 6)",
            Single("[Conv2D(2, 3)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]", "SNET027", "Dense(10)"));

    [Theory]
    [InlineData("[Conv2D(2, 3)]", "Conv2D(2, 3)")]
    [InlineData("[MaxPool2D(2)]", "MaxPool2D(2)")]
    [InlineData("[AvgPool2D(2, Stride = 1)]", "AvgPool2D(2, Stride = 1)")]
    public void Conv_or_pool_on_a_vector(string layer, string at) =>
        Assert.Equal($"[{at}] takes a (channels, height, width) input, but its input is a vector of 64",
            Single(layer, "SNET028", at, input: "Input(64)"));

    [Fact]
    public void Conv_after_Flatten_is_on_a_vector() =>
        Assert.Contains("its input is a vector of 128", Single("[Conv2D(2, 3)] [Flatten] [Conv2D(2, 3)]", "SNET028", "Conv2D(2, 3)", input: "Input(2, 10, 10)"));

    [Fact]
    public void Kernel_larger_than_the_input() =>
        Assert.Equal("[Conv2D(2, 9)]: the kernel (9) is larger than the input (8)", Single("[Conv2D(2, 9)]", "SNET029", "Conv2D(2, 9)"));

    [Fact]
    public void Kernel_larger_than_the_padded_input_along_the_width() =>
        Assert.Equal("[Conv2D(2, 7, Padding = 1)]: the kernel (7) is larger than the padded input (4 + 2·1)",
            Single("[Conv2D(2, 7, Padding = 1)]", "SNET029", "Conv2D(2, 7, Padding = 1)", input: "Input(1, 9, 4)"));

    [Fact]
    public void Pool_window_larger_than_its_input() =>
        Assert.Equal("[MaxPool2D(4)]: the window (4) is larger than the input (3)",
            Single("[Conv2D(2, 3, Stride = 2)] [MaxPool2D(4)]", "SNET029", "MaxPool2D(4)", input: "Input(1, 7, 7)"));

    [Fact]
    public void Conv_output_not_whole() =>
        Assert.Equal("[Conv2D(2, 3, Stride = 2)]: the stride 2 does not divide height − kernel = 8 − 3 = 5, so the windows do not end at the edge of the input",
            Single("[Conv2D(2, 3, Stride = 2)]", "SNET030", "Conv2D(2, 3, Stride = 2)"));

    [Fact]
    public void Conv_output_not_whole_with_padding() =>
        Assert.Contains("width + 2·padding − kernel = 9 + 2·1 − 4 = 7",
            Single("[Conv2D(2, 4, Stride = 3, Padding = 1)]", "SNET030", "Conv2D(2, 4, Stride = 3, Padding = 1)", input: "Input(1, 11, 9)"));

    [Fact]
    public void Pool_output_not_whole() =>
        Assert.Contains("the stride 2 does not divide height − window = 7 − 2 = 5",
            Single("[MaxPool2D(2)]", "SNET030", "MaxPool2D(2)", input: "Input(3, 7, 7)"));

    [Fact]
    public void Flatten_on_a_vector() =>
        Assert.Equal("[Flatten] is applied to a vector of 64, which is already a vector", Single("[Flatten] [Dense(2)]", "SNET031", "Flatten", input: "Input(64)"));

    [Theory]
    [InlineData("Conv2D(2, 0)", "the kernel size must be 1 or more, but is 0")]
    [InlineData("Conv2D(2, -3)", "the kernel size must be 1 or more, but is -3")]
    [InlineData("Conv2D(2, 3, Stride = 0)", "Stride must be 1 or more, but is 0")]
    [InlineData("Conv2D(2, 3, Padding = -1)", "Padding must be 0 or more, but is -1")]
    [InlineData("MaxPool2D(2, Stride = 0)", "Stride must be 1 or more, but is 0")]
    [InlineData("AvgPool2D(2, Stride = -2)", "Stride must be 1 or more, but is -2")]
    public void Argument_out_of_range(string layer, string message) =>
        Assert.Equal($"[{layer}]: {message}", Single($"[{layer}]", "SNET032", layer));

    [Theory]
    [InlineData("Conv2D(0, 3)")]
    [InlineData("MaxPool2D(0)")]
    [InlineData("AvgPool2D(-1)")]
    public void Filters_or_window_not_positive(string layer) =>
        Assert.Contains("the size must be 1 or more", Single($"[{layer}]", "SNET005", layer));

    [Theory]
    [InlineData("Input(0, 8, 8)")]
    [InlineData("Input(1, 0, 8)")]
    [InlineData("Input(1, 8, -8)")]
    public void Input_image_sizes_not_positive(string input) =>
        Assert.Contains("the size must be 1 or more", Single("[Conv2D(1, 1)]", "SNET005", input, input: input));

    [Fact]
    public void Padding_so_large_the_output_would_overflow() =>
        Assert.Contains("more than 2,147,483,591", Single("[Conv2D(1, 1, Padding = 1000000000)]", "SNET023", "Conv2D(1, 1, Padding = 1000000000)", input: "Input(1, 8, 8)"));

    [Fact]
    public void Padding_near_int_MaxValue_does_not_wrap_around() =>
        Assert.Equal("SNET023", GeneratorHarness.Run($$"""
            using StaticNet;
            [Network] [Input(1, 8, 8)] [Conv2D(1, 1, Padding = {{int.MaxValue}})]
            public partial class Net;
            """).Result.Diagnostics.Single().Id);

    [Fact]
    public void Input_image_too_large_for_one_row() =>
        Assert.Contains("needs 7,500,000,000 floats", Single("[Conv2D(1, 1)]", "SNET023", "Input(3, 50000, 50000)", input: "Input(3, 50000, 50000)"));

    [Fact]
    public void Conv_with_too_many_parameters() =>
        Assert.Contains("brings the parameter count to", Single("[Conv2D(100000, 150)]", "SNET010", "Conv2D(100000, 150)", input: "Input(1000, 150, 150)"));
}
