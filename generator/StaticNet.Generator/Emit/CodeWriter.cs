using System.Text;

namespace StaticNet.Generator.Emit;

/// <summary>Writes indented C# text, four spaces a level, <c>\n</c> line endings.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>
    /// In the stage of a part of the batch (Emit/NetworkEmitter.Parallel.cs), the expression of the part's first row in the
    /// whole batch; null elsewhere. A kernel that writes indices into the batch (max pooling's argmax) adds its offset.
    /// </summary>
    public string? FirstRow { get; set; }

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', 4 * _indent).Append(line);
        _text.Append('\n');
        return this;
    }

    public CodeWriter Open(string? header = null)
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    /// <summary>A <c>// comment</c> then a <c>{ }</c> scope holding the given lines: one step of the math.</summary>
    public CodeWriter Step(string comment, params string[] lines)
    {
        Line("// " + comment);
        Open();
        foreach (string line in lines) Line(line);
        return Close();
    }

    /// <summary>Appends text written by another writer, indented to this one's level.</summary>
    public CodeWriter Raw(string text)
    {
        string[] lines = text.Split('\n');
        int count = lines.Length > 0 && lines[lines.Length - 1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (int i = 0; i < count; i++) Line(lines[i]);
        return this;
    }

    public override string ToString() => _text.ToString();
}
