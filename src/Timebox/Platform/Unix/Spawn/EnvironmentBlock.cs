using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// A child's environment as execve takes it: NUL-terminated KEY=VALUE strings in UTF-8 and a null-terminated pointer
/// array, in arrays the GC never moves. Formatting and encoding the host's variables is a visible share of a spawn's
/// cost (bench/NOTES.md, "Spawn"), so the block built last is kept and every spawn whose variables are the same reuses it.
/// Blocks never change once built, so any thread may use one; the GC frees a replaced block once no spawn holds it.
/// </summary>
internal sealed unsafe class EnvironmentBlock
{
    private static EnvironmentBlock? _last;

    private readonly Dictionary<string, string> _variables;
    private readonly byte[] _text;
    private readonly nint[] _pointers;

    private EnvironmentBlock(Dictionary<string, string> variables)
    {
        _variables = variables;
        var size = 0;
        foreach (var (name, value) in variables) size += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
        _text = GC.AllocateUninitializedArray<byte>(Math.Max(size, 1), pinned: true);
        _pointers = GC.AllocateArray<nint>(variables.Count + 1, pinned: true);
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_text));
        var offset = 0;
        var index = 0;
        foreach (var (name, value) in variables)
        {
            _pointers[index++] = (nint)(start + offset);
            offset += Encoding.UTF8.GetBytes(name, _text.AsSpan(offset));
            _text[offset++] = (byte)'=';
            offset += Encoding.UTF8.GetBytes(value, _text.AsSpan(offset));
            _text[offset++] = 0;
        }
    }

    /// <summary>No variables at all.</summary>
    public static EnvironmentBlock Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>The envp array; valid while this block is reachable, so keep a reference until the spawn has returned.</summary>
    public byte** Pointers => (byte**)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_pointers));

    /// <summary>The PATH a program name is searched in: the child's own, or the host's when the child has none (as execvp's caller would).</summary>
    public string? SearchPath => _variables.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH");

    /// <summary>The environment <paramref name="command"/> gives its child: the host's current one (or none) with the command's changes applied.</summary>
    public static EnvironmentBlock For(Command command)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!command.EnvironmentCleared)
        {
            // Read afresh every time: Environment.SetEnvironmentVariable changes only .NET's copy, which nothing else shows.
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
                variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        foreach (var (name, value) in command.EnvironmentChanges)
        {
            if (value is null) variables.Remove(name);
            else variables[name] = value;
        }
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Holds(variables)) return last;
        var block = new EnvironmentBlock(variables);
        Volatile.Write(ref _last, block);
        return block;
    }

    /// <summary>A new block with <paramref name="name"/> set to <paramref name="value"/> (never shared: it is one run's).</summary>
    public EnvironmentBlock With(string name, string value) => new(new Dictionary<string, string>(_variables, StringComparer.Ordinal) { [name] = value });

    private bool Holds(Dictionary<string, string> variables)
    {
        if (variables.Count != _variables.Count) return false;
        foreach (var (name, value) in variables)
            if (!_variables.TryGetValue(name, out var held) || !string.Equals(value, held, StringComparison.Ordinal)) return false;
        return true;
    }
}
