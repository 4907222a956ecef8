using System.Globalization;
using System.Net;
using Timebox.Cli;

namespace Timebox.Distributed;

/// <summary>Parses `timebox worker --storage CONN [OPTION]...` (options only, in any order, GNU getopt_long style).</summary>
internal static class WorkerArguments
{
    public enum Request { Run, Help }

    private static readonly OptionSpec Storage = new("storage", null, TakesValue: true);
    private static readonly OptionSpec Slots = new("slots", null, TakesValue: true);
    private static readonly OptionSpec Queue = new("queue", null, TakesValue: true);
    private static readonly OptionSpec OutputDir = new("output-dir", null, TakesValue: true);
    private static readonly OptionSpec RequeueAfter = new("requeue-after", null, TakesValue: true);
    private static readonly OptionSpec PollInterval = new("poll-interval", null, TakesValue: true);
    private static readonly OptionSpec Name = new("name", null, TakesValue: true);
    private static readonly OptionSpec Dashboard = new("dashboard", null, TakesValue: true);
    private static readonly OptionSpec DashboardWritable = new("dashboard-writable", null, TakesValue: false);
    private static readonly OptionSpec DashboardPublic = new("dashboard-public", null, TakesValue: false);
    private static readonly OptionSpec Help = new("help", null, TakesValue: false);

    private static readonly OptionSpec[] All = [Storage, Slots, Queue, OutputDir, RequeueAfter, PollInterval, Name, Dashboard, DashboardWritable, DashboardPublic, Help];

    public static Request Parse(IReadOnlyList<string> args, out WorkerSettings settings)
    {
        var parsed = new WorkerSettings();
        var help = false;
        var first = GnuOptionParser.Parse(args, All, (option, value) =>
        {
            if (option == Help) help = true;
            else Apply(parsed, option, value!);
        });
        settings = parsed;
        if (help) return Request.Help;
        if (first < args.Count) throw new UsageException($"worker: extra operand {Quoting.Quote(args[first])}");
        if (parsed.Storage.Length == 0) throw new UsageException("worker: missing --storage (a PostgreSQL connection string, such as \"Host=db;Database=jobs;Username=timebox\")");
        if (parsed.Queues.Count == 0) parsed.Queues.Add("default");
        if (parsed.Dashboard is { } url && !parsed.DashboardPublic && !IsLoopback(url))
            throw new UsageException($"worker: the dashboard address {Quoting.Quote(url.OriginalString)} is not loopback: add --dashboard-public to serve it there");
        if ((parsed.DashboardWritable || parsed.DashboardPublic) && parsed.Dashboard is null)
            throw new UsageException("worker: --dashboard-writable and --dashboard-public need --dashboard URL");
        return Request.Run;
    }

    private static void Apply(WorkerSettings settings, OptionSpec option, string value)
    {
        if (option == Storage) settings.Storage = value;
        else if (option == Slots)
        {
            settings.Slots = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var slots) && slots is >= 1 and <= 1000
                ? slots
                : throw new UsageException($"worker: invalid number of slots {Quoting.Quote(value)} (1 to 1000)");
        }
        else if (option == Queue)
        {
            settings.Queues.Add(value.Length is > 0 and <= 100 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-')
                ? value
                : throw new UsageException($"worker: invalid queue name {Quoting.Quote(value)} (1 to 100 of lowercase letters, digits, '_' and '-')"));
        }
        else if (option == OutputDir) settings.OutputDirectory = value.Length > 0 ? value : throw new UsageException("worker: invalid output directory ''");
        else if (option == RequeueAfter) settings.RequeueAfter = AtLeast(value, TimeSpan.FromSeconds(1), "requeue delay");
        else if (option == PollInterval) settings.PollInterval = AtLeast(value, TimeSpan.FromMilliseconds(50), "poll interval");
        else if (option == Name) settings.Name = value.Length > 0 ? value : throw new UsageException("worker: invalid name ''");
        else if (option == Dashboard) settings.Dashboard = DashboardUrl(value);
        else if (option == DashboardWritable) settings.DashboardWritable = true;
        else if (option == DashboardPublic) settings.DashboardPublic = true;
    }

    private static TimeSpan AtLeast(string value, TimeSpan minimum, string what)
    {
        var duration = DurationParser.Parse(value);
        return duration is { } finite && finite >= minimum
            ? finite
            : throw new UsageException($"worker: invalid {what} {Quoting.Quote(value)} (at least {minimum.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s)");
    }

    private static Uri DashboardUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp && url.AbsolutePath == "/"
            ? url
            : throw new UsageException($"worker: invalid dashboard address {Quoting.Quote(value)} (http://HOST:PORT; for https, put a reverse proxy in front)");

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
}
