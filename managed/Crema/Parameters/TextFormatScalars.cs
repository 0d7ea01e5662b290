using System.Globalization;
using System.Numerics;

namespace Crema.Parameters;

/// <summary>
/// How a scalar field's text becomes a value of type <typeparamref name="T"/> and back: the protobuf type of a field
/// (<see cref="ScalarKinds.Int32"/>, <see cref="ScalarKinds.Float"/>, an <see cref="EnumDescriptor{TEnum}"/>, ...).
/// </summary>
internal abstract class ScalarKind<T>
{
    /// <summary>What the field takes, for "expected ... for 'field', got ...": <c>a number</c>, <c>an integer</c>.</summary>
    public abstract string Expected { get; }

    /// <summary>Converts a scalar written for <paramref name="field"/>; throws <see cref="TextFormatException"/> at the value.</summary>
    public abstract T Read(TextScalar value, string field, string? sourceName);

    /// <summary>Writes a value the way <see cref="Read"/> reads it back.</summary>
    public abstract string Format(T value);

    /// <summary>The error for a value of the wrong sort (a string for a number, a message for a scalar, ...).</summary>
    public TextFormatException Mismatch(TextValue value, string field, string? sourceName) =>
        new(sourceName, value.Line, value.Column, $"expected {Expected} for '{field}', got {value.Describe()}");
}

/// <summary>The scalar kinds of protobuf's built-in types.</summary>
internal static class ScalarKinds
{
    /// <summary><c>int32</c>.</summary>
    public static readonly ScalarKind<int> Int32 = new IntegerKind<int>();

    /// <summary><c>int64</c>.</summary>
    public static readonly ScalarKind<long> Int64 = new IntegerKind<long>();

    /// <summary><c>uint32</c>.</summary>
    public static readonly ScalarKind<uint> UInt32 = new IntegerKind<uint>();

    /// <summary><c>uint64</c>.</summary>
    public static readonly ScalarKind<ulong> UInt64 = new IntegerKind<ulong>();

    /// <summary><c>float</c>.</summary>
    public static readonly ScalarKind<float> Float = new FloatKind();

    /// <summary><c>double</c>.</summary>
    public static readonly ScalarKind<double> Double = new DoubleKind();

    /// <summary><c>bool</c>: <c>true</c>, <c>True</c>, <c>t</c>, <c>1</c> and <c>false</c>, <c>False</c>, <c>f</c>, <c>0</c>.</summary>
    public static readonly ScalarKind<bool> Bool = new BoolKind();

    /// <summary><c>string</c>: quoted only.</summary>
    public static readonly ScalarKind<string> String = new StringKind();

    /// <summary>The error for a number that does not fit the field's type.</summary>
    internal static TextFormatException OutOfRange(TextScalar value, string what, string field, string? sourceName) =>
        new(sourceName, value.Line, value.Column, $"{what} {value.Describe()} is out of range for '{field}'");

    /// <summary>
    /// The magnitude of an integer token (decimal, <c>0x</c> hex or <c>0</c>-prefixed octal), or null when it does not
    /// fit 64 bits.
    /// </summary>
    internal static ulong? ParseMagnitude(string text)
    {
        if (text.Length > 2 && text[0] == '0' && text[1] is 'x' or 'X')
        {
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex)
                ? hex
                : null;
        }
        if (text.Length > 1 && text[0] == '0')
        {
            ulong octal = 0;
            foreach (char digit in text.AsSpan(1))
            {
                if (octal > (ulong.MaxValue >> 3))
                    return null;
                octal = (octal << 3) | (uint)(digit - '0');
            }
            return octal;
        }
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) ? value : null;
    }

    private sealed class IntegerKind<T> : ScalarKind<T>
        where T : IBinaryInteger<T>, IMinMaxValue<T>
    {
        public override string Expected => "an integer";

        public override T Read(TextScalar value, string field, string? sourceName)
        {
            if (value.Kind != TextScalarKind.Integer)
                throw Mismatch(value, field, sourceName);
            ulong? magnitude = ParseMagnitude(value.Text);
            if (magnitude is not ulong m)
                throw OutOfRange(value, "integer", field, sourceName);
            Int128 signed = value.IsNegative ? -(Int128)m : m;
            bool unsigned = T.IsZero(T.MinValue);
            if ((unsigned && value.IsNegative) // protobuf takes no sign for an unsigned field, not even "-0"
                || signed < Int128.CreateTruncating(T.MinValue) || signed > Int128.CreateTruncating(T.MaxValue))
                throw OutOfRange(value, "integer", field, sourceName);
            return T.CreateTruncating(signed);
        }

        public override string Format(T value) => value.ToString(null, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads any number (integer, float, <c>inf</c>, <c>infinity</c>, <c>nan</c> in any case) as a double.</summary>
    private static double ReadNumber(ScalarKind<double> kind, TextScalar value, string field, string? sourceName)
    {
        double result;
        switch (value.Kind)
        {
            case TextScalarKind.Identifier when TextFormat.IsNonFiniteWord(value.Text):
                result = value.Text.Equals("nan", StringComparison.OrdinalIgnoreCase) ? double.NaN : double.PositiveInfinity;
                break;
            case TextScalarKind.Integer:
                if (ParseMagnitude(value.Text) is ulong m)
                    result = m;
                else if (value.Text[0] != '0') // a decimal too long for 64 bits is still a fine double
                    result = double.Parse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture);
                else
                    throw OutOfRange(value, "number", field, sourceName);
                break;
            case TextScalarKind.Float:
                result = double.Parse(value.Text.TrimEnd('f', 'F'), NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
                if (double.IsInfinity(result))
                    throw OutOfRange(value, "number", field, sourceName);
                break;
            default:
                throw kind.Mismatch(value, field, sourceName);
        }
        return value.IsNegative ? -result : result;
    }

    private static string FormatNumber(double value, string shortest) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf" : shortest;

    private sealed class DoubleKind : ScalarKind<double>
    {
        public override string Expected => "a number";

        public override double Read(TextScalar value, string field, string? sourceName) => ReadNumber(this, value, field, sourceName);

        public override string Format(double value) => FormatNumber(value, value.ToString("R", CultureInfo.InvariantCulture));
    }

    private sealed class FloatKind : ScalarKind<float>
    {
        private readonly DoubleKind _double = new();

        public override string Expected => "a number";

        public override float Read(TextScalar value, string field, string? sourceName)
        {
            double number = ReadNumber(_double, value, field, sourceName);
            float result = (float)number;
            if (float.IsInfinity(result) && !double.IsInfinity(number))
                throw OutOfRange(value, "number", field, sourceName);
            return result;
        }

        public override string Format(float value) => FormatNumber(value, value.ToString("R", CultureInfo.InvariantCulture));
    }

    private sealed class BoolKind : ScalarKind<bool>
    {
        public override string Expected => "true or false";

        public override bool Read(TextScalar value, string field, string? sourceName)
        {
            if (value.Kind == TextScalarKind.Identifier)
            {
                switch (value.Text)
                {
                    case "true" or "True" or "t": return true;
                    case "false" or "False" or "f": return false;
                }
            }
            else if (value.Kind == TextScalarKind.Integer && !value.IsNegative && ParseMagnitude(value.Text) is ulong m and <= 1)
            {
                return m == 1;
            }
            throw Mismatch(value, field, sourceName);
        }

        public override string Format(bool value) => value ? "true" : "false";
    }

    private sealed class StringKind : ScalarKind<string>
    {
        public override string Expected => "a string";

        public override string Read(TextScalar value, string field, string? sourceName) =>
            value.Kind == TextScalarKind.String ? value.Text : throw Mismatch(value, field, sourceName);

        public override string Format(string value) => TextFormatWriter.Quote(value);
    }
}

/// <summary>
/// A protobuf enum: its values by text-format name (<c>TRAIN</c>) and by number, which protobuf accepts too.
/// </summary>
internal sealed class EnumDescriptor<TEnum> : ScalarKind<TEnum>
    where TEnum : struct, Enum
{
    private readonly (string Name, TEnum Value, int Number)[] _values;

    /// <summary>Describes an enum from its text-format names; each value's number is the C# enum's.</summary>
    public EnumDescriptor(params (string Name, TEnum Value)[] values)
    {
        _values = [.. values.Select(v => (v.Name, v.Value, Convert.ToInt32(v.Value, CultureInfo.InvariantCulture)))];
        Names = string.Join(", ", _values.Select(v => v.Name));
    }

    /// <summary>The names, comma-separated, in declaration order.</summary>
    public string Names { get; }

    /// <inheritdoc/>
    public override string Expected => $"one of {Names}";

    /// <inheritdoc/>
    public override TEnum Read(TextScalar value, string field, string? sourceName)
    {
        if (value.Kind == TextScalarKind.Identifier && !value.IsNegative)
        {
            foreach (var v in _values)
            {
                if (v.Name == value.Text)
                    return v.Value;
            }
            throw Unknown($"'{value.Text}'");
        }
        if (value.Kind == TextScalarKind.Integer)
        {
            if (ScalarKinds.ParseMagnitude(value.Text) is ulong m && m <= int.MaxValue)
            {
                int number = value.IsNegative ? -(int)m : (int)m;
                foreach (var v in _values)
                {
                    if (v.Number == number)
                        return v.Value;
                }
            }
            throw Unknown(value.Describe());
        }
        throw Mismatch(value, field, sourceName);

        TextFormatException Unknown(string shown) =>
            new(sourceName, value.Line, value.Column, $"unknown value {shown} for {field} (expected {Names})");
    }

    /// <inheritdoc/>
    public override string Format(TEnum value)
    {
        foreach (var v in _values)
        {
            if (EqualityComparer<TEnum>.Default.Equals(v.Value, value))
                return v.Name;
        }
        return Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }
}
