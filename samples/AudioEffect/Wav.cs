using System;
using System.IO;
using System.Text;

namespace Samples.AudioEffect;

/// <summary>
/// A tiny WAV (RIFF) reader and writer: PCM 16-bit and IEEE float 32-bit, any channel count and rate. Reading mixes
/// the channels down to mono floats in [−1, 1]; writing writes mono. A malformed file is an <see cref="InvalidDataException"/>
/// that says what is wrong; a write goes to a temporary file first, so a failed write never leaves half a file.
/// </summary>
public static class Wav
{
    public static (float[] Samples, int SampleRate) Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.BaseStream.Length < 12 || Tag(reader) != "RIFF") throw new InvalidDataException($"{path}: not a RIFF file.");
        reader.ReadUInt32();
        if (Tag(reader) != "WAVE") throw new InvalidDataException($"{path}: a RIFF file, but not WAVE.");
        int format = 0, channels = 0, rate = 0, bits = 0;
        while (reader.BaseStream.Position + 8 <= reader.BaseStream.Length)
        {
            string id = Tag(reader);
            long size = reader.ReadUInt32();
            long next = reader.BaseStream.Position + size + (size & 1);
            if (next > reader.BaseStream.Length + 1) throw new InvalidDataException($"{path}: chunk '{id}' runs past the end of the file.");
            if (id == "fmt ")
            {
                if (size < 16) throw new InvalidDataException($"{path}: the fmt chunk is {size} bytes, expected at least 16.");
                format = reader.ReadUInt16();
                channels = reader.ReadUInt16();
                rate = (int)reader.ReadUInt32();
                reader.ReadUInt32();
                reader.ReadUInt16();
                bits = reader.ReadUInt16();
                if (format == 0xFFFE && size >= 40) { reader.ReadUInt16(); reader.ReadUInt16(); reader.ReadUInt32(); format = reader.ReadUInt16(); } // WAVE_FORMAT_EXTENSIBLE: the sub-format
            }
            else if (id == "data")
            {
                if (channels < 1 || rate < 1) throw new InvalidDataException($"{path}: a data chunk before a valid fmt chunk.");
                bool pcm16 = format == 1 && bits == 16, float32 = format == 3 && bits == 32;
                if (!pcm16 && !float32) throw new InvalidDataException($"{path}: format {format} with {bits} bits per sample; expected 16-bit PCM (1) or 32-bit float (3).");
                int frameBytes = channels * bits / 8;
                long available = Math.Min(size, reader.BaseStream.Length - reader.BaseStream.Position);
                var samples = new float[available / frameBytes];
                for (int i = 0; i < samples.Length; i++)
                {
                    float sum = 0;
                    for (int c = 0; c < channels; c++) sum += pcm16 ? reader.ReadInt16() / 32768f : reader.ReadSingle();
                    samples[i] = sum / channels;
                }
                return (samples, rate);
            }
            reader.BaseStream.Position = Math.Min(next, reader.BaseStream.Length);
        }
        throw new InvalidDataException($"{path}: no data chunk.");
    }

    /// <summary>Writes mono 16-bit PCM (samples clipped to [−1, 1]) or 32-bit float.</summary>
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate, bool float32 = false)
    {
        string temporary = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(temporary)))
        {
            int bytes = float32 ? 4 : 2;
            w.Write(Encoding.ASCII.GetBytes("RIFF"));
            w.Write(36 + samples.Length * bytes);
            w.Write(Encoding.ASCII.GetBytes("WAVEfmt "));
            w.Write(16);
            w.Write((short)(float32 ? 3 : 1));
            w.Write((short)1);
            w.Write(sampleRate);
            w.Write(sampleRate * bytes);
            w.Write((short)bytes);
            w.Write((short)(8 * bytes));
            w.Write(Encoding.ASCII.GetBytes("data"));
            w.Write(samples.Length * bytes);
            foreach (float s in samples)
            {
                if (float32) w.Write(s);
                else w.Write((short)Math.Round(Math.Clamp(s, -1f, 1f) * 32767f));
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static string Tag(BinaryReader reader) => Encoding.ASCII.GetString(reader.ReadBytes(4));
}
