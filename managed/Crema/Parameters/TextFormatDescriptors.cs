namespace Crema.Parameters;

/// <summary>One field of a <see cref="MessageDescriptor{T}"/>: how to read one value into a message and write it back.</summary>
internal sealed class FieldDescriptor<T>(
    string name,
    bool isRepeated,
    Action<T, TextValue, string?> read,
    Action<T, T, TextFormatWriter> write)
    where T : class
{
    /// <summary>The text-format name (<c>loss_weight</c>).</summary>
    public string Name { get; } = name;

    /// <summary>True when the field may be given any number of times (and in the list form).</summary>
    public bool IsRepeated { get; } = isRepeated;

    /// <summary>Reads one value (of one repetition) into the message; the source name goes into errors.</summary>
    public void Read(T target, TextValue value, string? sourceName) => read(target, value, sourceName);

    /// <summary>Writes the field of <c>value</c> unless it equals the one of <c>defaults</c> (a fresh message).</summary>
    public void Write(T value, T defaults, TextFormatWriter writer) => write(value, defaults, writer);
}

/// <summary>
/// A message type of the text format: its name and its fields, each mapped onto a property of <typeparamref name="T"/>.
/// Reads a parse tree into a new <typeparamref name="T"/> with errors at the offending line:column, and writes one
/// back as text. Build one with the fluent methods, one call per field:
/// <code>
/// new MessageDescriptor&lt;SoftmaxParameter&gt;("SoftmaxParameter", () =&gt; new())
///     .Scalar("axis", ScalarKinds.Int32, m =&gt; m.Axis, (m, v) =&gt; m.Axis = v);
/// </code>
/// </summary>
internal sealed class MessageDescriptor<T>(string name, Func<T> create)
    where T : class
{
    private readonly Dictionary<string, FieldDescriptor<T>> _byName = new(StringComparer.Ordinal);
    private readonly List<FieldDescriptor<T>> _fields = [];

    /// <summary>The message's name in errors: <c>LayerParameter</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The fields in the order they were added, which is the order <see cref="Format"/> writes them.</summary>
    public IReadOnlyList<FieldDescriptor<T>> Fields => _fields;

    /// <summary>A new message with every field at its default.</summary>
    public T Create() => create();

    /// <summary>Adds a field.</summary>
    /// <exception cref="ArgumentException">A field of that name exists.</exception>
    public MessageDescriptor<T> Add(FieldDescriptor<T> field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!_byName.TryAdd(field.Name, field))
            throw new ArgumentException($"{Name} already has a field '{field.Name}'", nameof(field));
        _fields.Add(field);
        return this;
    }

    /// <summary>
    /// An optional scalar kept in a non-nullable property (or a nullable reference); written when it differs from the
    /// default.
    /// </summary>
    public MessageDescriptor<T> Scalar<TValue>(string name, ScalarKind<TValue> kind, Func<T, TValue?> get, Action<T, TValue> set)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return Add(new FieldDescriptor<T>(
            name,
            isRepeated: false,
            (target, value, source) => set(target, ReadScalar(kind, name, value, source)),
            (message, defaults, writer) =>
            {
                var v = get(message);
                if (v is not null && !EqualityComparer<TValue?>.Default.Equals(v, get(defaults)))
                    writer.WriteScalar(name, kind.Format(v));
            }));
    }

    /// <summary>An optional scalar kept in a nullable property; null means unset. Written when set.</summary>
    public MessageDescriptor<T> Optional<TValue>(string name, ScalarKind<TValue> kind, Func<T, TValue?> get, Action<T, TValue> set)
        where TValue : struct
    {
        ArgumentNullException.ThrowIfNull(kind);
        return Add(new FieldDescriptor<T>(
            name,
            isRepeated: false,
            (target, value, source) => set(target, ReadScalar(kind, name, value, source)),
            (message, _, writer) =>
            {
                if (get(message) is TValue v)
                    writer.WriteScalar(name, kind.Format(v));
            }));
    }

    /// <summary>A repeated scalar: each value is appended to the list.</summary>
    public MessageDescriptor<T> Repeated<TValue>(string name, ScalarKind<TValue> kind, Func<T, List<TValue>> list)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return Add(new FieldDescriptor<T>(
            name,
            isRepeated: true,
            (target, value, source) => list(target).Add(ReadScalar(kind, name, value, source)),
            (message, _, writer) =>
            {
                foreach (var v in list(message))
                    writer.WriteScalar(name, kind.Format(v));
            }));
    }

    /// <summary>
    /// An optional sub-message: a fresh one is read and set; written when it is not null and any of its fields is not
    /// the default.
    /// </summary>
    public MessageDescriptor<T> Message<TMessage>(string name, MessageDescriptor<TMessage> message, Func<T, TMessage?> get, Action<T, TMessage> set)
        where TMessage : class
    {
        ArgumentNullException.ThrowIfNull(message); // a descriptor declared after this one would still be null here
        return Add(new FieldDescriptor<T>(
            name,
            isRepeated: false,
            (target, value, source) => set(target, message.Read(ExpectMessage(message, name, value, source))),
            (parent, _, writer) =>
            {
                if (get(parent) is not TMessage value)
                    return;
                var body = writer.Nested();
                message.WriteFields(value, body);
                if (!body.IsEmpty)
                    writer.WriteMessage(name, body);
            }));
    }

    /// <summary>A repeated sub-message: each one read is appended to the list; each is written, empty ones too.</summary>
    public MessageDescriptor<T> RepeatedMessage<TMessage>(string name, MessageDescriptor<TMessage> message, Func<T, List<TMessage>> list)
        where TMessage : class
    {
        ArgumentNullException.ThrowIfNull(message);
        return Add(new FieldDescriptor<T>(
            name,
            isRepeated: true,
            (target, value, source) => list(target).Add(message.Read(ExpectMessage(message, name, value, source))),
            (parent, _, writer) =>
            {
                foreach (var item in list(parent))
                {
                    var body = writer.Nested();
                    message.WriteFields(item, body);
                    writer.WriteMessage(name, body);
                }
            }));
    }

    /// <summary>Parses text (the message body) into a new message.</summary>
    /// <exception cref="TextFormatException">Malformed text, an unknown field or a bad value; the message gives line:column.</exception>
    public T Parse(string text, string? sourceName = null) => Read(TextFormat.Parse(text, sourceName));

    /// <summary>Reads a parsed message into a new <typeparamref name="T"/>.</summary>
    /// <exception cref="TextFormatException">An unknown field, a non-repeated field given twice, or a bad value.</exception>
    public T Read(TextMessage message)
    {
        var target = Create();
        ReadInto(target, message);
        return target;
    }

    /// <summary>Reads a parsed message into <paramref name="target"/>: repeated fields append, others are set.</summary>
    /// <exception cref="TextFormatException">An unknown field, a non-repeated field given twice, or a bad value.</exception>
    public void ReadInto(T target, TextMessage message)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            if (!_byName.TryGetValue(field.Name, out var descriptor))
                throw Error(message, field, UnknownField(field.Name));
            if (!descriptor.IsRepeated)
            {
                if (field.IsList)
                    throw Error(message, field, $"field '{field.Name}' of {Name} is not repeated, so it cannot take a list");
                if (!seen.Add(field.Name))
                    throw Error(message, field, $"field '{field.Name}' of {Name} is given twice");
            }
            foreach (var value in field.Values)
                descriptor.Read(target, value, message.SourceName);
        }
    }

    /// <summary>Writes a message as text (its body, fields in declaration order, defaults left out).</summary>
    public string Format(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var writer = new TextFormatWriter();
        WriteFields(value, writer);
        return writer.ToString();
    }

    /// <summary>Writes every field that is set into <paramref name="writer"/>.</summary>
    public void WriteFields(T value, TextFormatWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var defaults = Create();
        foreach (var field in _fields)
            field.Write(value, defaults, writer);
    }

    private static TValue ReadScalar<TValue>(ScalarKind<TValue> kind, string field, TextValue value, string? sourceName) =>
        value is TextScalar scalar ? kind.Read(scalar, field, sourceName) : throw kind.Mismatch(value, field, sourceName);

    private static TextMessage ExpectMessage<TMessage>(MessageDescriptor<TMessage> message, string field, TextValue value, string? sourceName)
        where TMessage : class =>
        value as TextMessage ?? throw new TextFormatException(
            sourceName, value.Line, value.Column, $"expected a {message.Name} message for '{field}', got {value.Describe()}");

    private string UnknownField(string field)
    {
        string? suggestion = Suggest(field, _fields.Select(f => f.Name));
        return suggestion is null
            ? $"unknown field '{field}' in {Name}"
            : $"unknown field '{field}' in {Name} (did you mean '{suggestion}'?)";
    }

    private static TextFormatException Error(TextMessage message, TextField field, string text) =>
        new(message.SourceName, field.Line, field.Column, text);

    /// <summary>
    /// The known name closest to a misspelt one, or null when none is close: edit distance (a swap of two neighbours
    /// counts once, case is ignored) of at most 1 for names up to 5 characters and 2 for longer ones.
    /// </summary>
    internal static string? Suggest(string word, IEnumerable<string> candidates)
    {
        int limit = word.Length <= 2 ? 0 : word.Length <= 5 ? 1 : 2;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = EditDistance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
