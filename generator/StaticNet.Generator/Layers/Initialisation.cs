using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using StaticNet.Generator.Diagnostics;
using StaticNet.Generator.Model;

namespace StaticNet.Generator.Layers;

/// <summary>
/// The <c>Init</c> and <c>Std</c> arguments of the layers with weights (Dense, Conv2D): how they are read, checked and
/// turned into the constructor's call of <c>StaticNet.Initializers</c>.
/// </summary>
internal static class Initialisation
{
    public const int Auto = 0, He = 1, Xavier = 2, Normal = 3;

    private static readonly string[] s_names = { "Auto", "He", "Xavier", "Normal" };

    /// <summary><paramref name="a"/> with the named <c>Init</c> and <c>Std</c> of <paramref name="attribute"/>, when given.</summary>
    public static LayerArguments Read(AttributeData attribute, LayerArguments a)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == "Init" && argument.Value.Value is int init) a = a with { Init = init };
            else if (argument.Key == "Std" && argument.Value.Value is float std) a = a with { Std = std, StdGiven = true };
        }
        return a;
    }

    /// <summary>The diagnostic for an <c>Init</c> that is no member of the enum, a <c>Std</c> out of range, or a <c>Std</c> without <c>Init.Normal</c>.</summary>
    public static ShapeResult? Check(string declaration, LayerArguments a)
    {
        if (a.Init < Auto || a.Init > Normal)
            return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, declaration, "Init", "one of Init.Auto, Init.He, Init.Xavier, Init.Normal", a.Init.ToString(CultureInfo.InvariantCulture));
        if (a.StdGiven && a.Init != Normal)
            return ShapeResult.Error(DiagnosticDescriptors.StdWithoutNormal, declaration, "Init." + s_names[a.Init]);
        if (a.StdGiven && !(a.Std > 0 && !float.IsInfinity(a.Std)))
            return ShapeResult.Error(DiagnosticDescriptors.ArgumentOutOfRange, declaration, "Std", "finite and greater than 0", Float(a.Std));
        return null;
    }

    /// <summary>
    /// The constructor's line that draws <paramref name="l"/>'s weights, with its std as a comment: He when asked for (or,
    /// with <c>Init.Auto</c>, when ReLU follows), He with the leaky gain √(2 / (1 + a²)) when <c>Init.Auto</c> is followed by
    /// LeakyReLU(a) (PyTorch's <c>kaiming_normal_(w, a)</c>, whose <c>nonlinearity</c> is <c>leaky_relu</c> by default), Xavier when
    /// asked for (or otherwise), Normal with the given std.
    /// </summary>
    public static string Line(LayerSpec l, string weights)
    {
        int fanIn = l.Kind.WeightShape(l).FanIn;
        string n = fanIn.ToString(CultureInfo.InvariantCulture);
        if (l.Arguments.Init == Auto && l.LeakyReLUSlopeAfter is float slope)
        {
            string a = Float(slope);
            return $"global::StaticNet.Initializers.He({weights}, fanIn: {n}, negativeSlope: {a}f, ref random); // {weights} ~ N(0, σ²), σ = √(2 / ((1 + {a}²)·{n})): He for LeakyReLU({a}), PyTorch's kaiming_normal_(a = {a}) (Init.Auto: LeakyReLU follows)";
        }
        int init = l.Arguments.Init == Auto ? (l.FollowedByReLU ? He : Xavier) : l.Arguments.Init;
        string why = l.Arguments.Init == Auto ? (l.FollowedByReLU ? " (Init.Auto: ReLU follows)" : " (Init.Auto)") : "";
        return init switch
        {
            He => $"global::StaticNet.Initializers.He({weights}, fanIn: {n}, ref random); // {weights} ~ N(0, σ²), σ = √(2 / {n}): He{why}",
            Xavier => $"global::StaticNet.Initializers.Xavier({weights}, fanIn: {n}, ref random); // {weights} ~ N(0, σ²), σ = √(1 / {n}): Xavier{why}",
            _ => $"global::StaticNet.Initializers.Normal({weights}, {Float(l.Arguments.Std)}f, ref random); // {weights} ~ N(0, σ²), σ = {Float(l.Arguments.Std)}: Init.Normal",
        };
    }

    /// <summary>A float as C# and the messages spell it: the shortest text that reads back the same.</summary>
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
