namespace Timebox.Cli;

/// <summary>One option the parser knows: its long name, its short letter (or none) and whether it takes a value.</summary>
internal sealed record OptionSpec(string LongName, char? ShortName, bool TakesValue);

/// <summary>
/// Option parsing exactly as glibc's getopt_long with a leading '+' in the short-option string: options end at
/// the first operand (so `timebox 5 ls -l` leaves `-l` to ls) or after `--`; short options cluster (`-vk1`) and take
/// attached or separate values (`-k1`, `-k 1`); long options take `--name=value` or `--name value` and may be
/// abbreviated to any unambiguous prefix. Errors carry glibc's own wording.
/// </summary>
internal static class GnuOptionParser
{
    /// <summary>Calls <paramref name="onOption"/> for each option in order and returns the index of the first operand.</summary>
    public static int Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> options, Action<OptionSpec, string?> onOption)
    {
        var index = 0;
        while (index < args.Count)
        {
            var arg = args[index];
            if (arg == "--") return index + 1;
            if (arg.Length < 2 || arg[0] != '-') return index;
            index++;
            if (arg[1] == '-') index = ParseLong(args, index, arg[2..], options, onOption);
            else index = ParseShortCluster(args, index, arg, options, onOption);
        }
        return index;
    }

    private static int ParseLong(IReadOnlyList<string> args, int next, string body, IReadOnlyList<OptionSpec> options, Action<OptionSpec, string?> onOption)
    {
        var equals = body.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? body : body[..equals];
        var option = FindLong(name, options);
        if (option.TakesValue)
        {
            if (equals >= 0)
            {
                onOption(option, body[(equals + 1)..]);
                return next;
            }
            if (next >= args.Count) throw new UsageException($"option '--{option.LongName}' requires an argument");
            onOption(option, args[next]);
            return next + 1;
        }
        if (equals >= 0) throw new UsageException($"option '--{option.LongName}' doesn't allow an argument");
        onOption(option, null);
        return next;
    }

    private static OptionSpec FindLong(string name, IReadOnlyList<OptionSpec> options)
    {
        foreach (var option in options)
            if (option.LongName == name) return option;
        var candidates = options.Where(option => option.LongName.StartsWith(name, StringComparison.Ordinal)).ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new UsageException($"unrecognized option '--{name}'"),
            _ => throw new UsageException($"option '--{name}' is ambiguous; possibilities:{string.Concat(candidates.Select(option => $" '--{option.LongName}'"))}"),
        };
    }

    private static int ParseShortCluster(IReadOnlyList<string> args, int next, string arg, IReadOnlyList<OptionSpec> options, Action<OptionSpec, string?> onOption)
    {
        for (var position = 1; position < arg.Length; position++)
        {
            var letter = arg[position];
            var option = options.FirstOrDefault(candidate => candidate.ShortName == letter)
                ?? throw new UsageException($"invalid option -- '{letter}'");
            if (!option.TakesValue)
            {
                onOption(option, null);
                continue;
            }
            if (position + 1 < arg.Length)
            {
                onOption(option, arg[(position + 1)..]);
                return next;
            }
            if (next >= args.Count) throw new UsageException($"option requires an argument -- '{letter}'");
            onOption(option, args[next]);
            return next + 1;
        }
        return next;
    }
}
