// A deliberately misbehaving child process for the Timebox tests.
//
// Arguments are a list of actions run in order (see Usage below). The program talks to
// stdout/stderr only through the raw, unbuffered console streams so that every write is a
// real write(2) at the moment the action asks for it: tests care about byte-exact output,
// interleaving order and about what is already in the pipe when the process is killed.

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Timebox.TestChild;

internal static partial class Program
{
    private const string Usage = """
        usage: Timebox.TestChild ACTION...
          out N | err N            write N bytes ('a'..'z' repeating) to stdout | stderr
          print TEXT | eprint TEXT write TEXT and a newline to stdout | stderr
          interleave N             o<i> on stdout and e<i> on stderr, alternately, i = 0..N-1
          write TEXT | ewrite TEXT write TEXT with escapes \n \r \\ (no newline added) to stdout | stderr
          lines N MS               write "line <i>" to stdout N times, one every MS milliseconds
          text-out N               write N bytes of 63-letter lines to stdout, as fast as possible
          progress N MS            write "frame <i>\r" to stdout N times, one every MS milliseconds
          sleep MS                 sleep MS milliseconds
          exit CODE                exit with CODE
          kill-self SIGNUM         send signal SIGNUM to this process
          stop-self                send SIGSTOP to this process
          ignore-term              ignore SIGTERM from now on
          echo-stdin               copy stdin to stdout until EOF
          count-stdin              read stdin to EOF, print the byte count
          invalid-utf8             write FF FE, then C3 | 50 ms | A9, then a newline
          print-pid | print-pgid | print-fds | print-cwd | print-env NAME
          spawn MODE [ ACTION... ] start a copy running ACTION..., do not wait for it
                                   MODE: same-group | new-group | new-session | double-fork
          hold                     sleep forever
          burn-cpu MS              spin until this process has used MS ms of CPU time
          touch-mib N              allocate N MiB and write every page; on failure print 'allocation failed' to
                                   stderr and exit 3
          ignore-xcpu              ignore SIGXCPU from now on
          write-file PATH N        write N bytes to PATH (created or truncated); on EFBIG exit 4
          open-files N             open /dev/null N times (kept open), print how many opened
          fork-loop MAX            start copies that hold, up to MAX, until starting one fails; print
                                   'started N' and, if one failed, 'failed: REASON'
          cat PATH                 copy the file PATH to stdout
          threads N                start N threads that sleep forever (a process slow to die: each thread must exit)
          await-stdout-pipe-size N MS
                                   wait up to MS ms until stdout's pipe holds N bytes (F_GETPIPE_SZ), print its
                                   size then on stderr

        """;

    private const int ExitUsage = 64;   // EX_USAGE
    private const int ExitIoError = 74; // EX_IOERR

    private static readonly Stream Stdout = Console.OpenStandardOutput();
    private static readonly Stream Stderr = Console.OpenStandardError();

    private static int Main(string[] args)
    {
        // Logged before anything else so that a process killed at any later point is still
        // known to the survivor check in the tests.
        LogPid();

        try
        {
            var actions = new Queue<string>(args);
            if (actions.Count >= 2 && actions.Peek() == "--become")
            {
                actions.Dequeue();
                Become(actions.Dequeue(), actions);
            }

            while (actions.Count > 0)
            {
                Run(actions.Dequeue(), actions);
            }

            return 0;
        }
        catch (UsageException e)
        {
            TryWriteError($"Timebox.TestChild: {e.Message}\n{Usage}");
            return ExitUsage;
        }
        catch (IOException e)
        {
            // E.g. an unreadable stdin or a failed syscall. Note that EPIPE never gets here:
            // .NET ignores SIGPIPE and its console streams silently drop writes to a pipe whose
            // reader has gone, so such a child just carries on with its next action.
            TryWriteError($"Timebox.TestChild: I/O error: {e.Message}\n");
            return ExitIoError;
        }
    }

    private static void Run(string action, Queue<string> rest)
    {
        switch (action)
        {
            case "out": WritePattern(Stdout, NextLong(action, rest)); break;
            case "err": WritePattern(Stderr, NextLong(action, rest)); break;
            case "print": WriteText(Stdout, Next(action, rest) + "\n"); break;
            case "eprint": WriteText(Stderr, Next(action, rest) + "\n"); break;
            case "interleave": Interleave(NextInt(action, rest)); break;
            case "write": WriteText(Stdout, Unescape(Next(action, rest))); break;
            case "ewrite": WriteText(Stderr, Unescape(Next(action, rest))); break;
            case "text-out": WriteTextPattern(NextLong(action, rest)); break;
            case "lines": Paced(NextInt(action, rest), NextInt(action, rest), i => string.Create(CultureInfo.InvariantCulture, $"line {i}\n")); break;
            case "progress": Paced(NextInt(action, rest), NextInt(action, rest), i => string.Create(CultureInfo.InvariantCulture, $"frame {i}\r")); break;
            case "sleep": Thread.Sleep(NextInt(action, rest)); break;
            case "exit": Exit(NextInt(action, rest)); break;
            case "kill-self": Check(Native.Kill(Environment.ProcessId, NextInt(action, rest)), "kill"); break;
            case "stop-self": Check(Native.Kill(Environment.ProcessId, Native.SIGSTOP), "kill"); break;
            case "ignore-term": IgnoreTerm(); break;
            case "echo-stdin": EchoStdin(); break;
            case "count-stdin": CountStdin(); break;
            case "invalid-utf8": InvalidUtf8(); break;
            case "print-pid": WriteLine(Environment.ProcessId); break;
            case "print-pgid": WriteLine(Native.GetPgid(0)); break;
            case "print-fds": WriteText(Stdout, string.Join(' ', OpenFds()) + "\n"); break;
            case "print-env": PrintEnv(Next(action, rest)); break;
            case "print-cwd": WriteText(Stdout, Environment.CurrentDirectory + "\n"); break;
            case "spawn": Spawn(Next(action, rest), TakeBracketed(rest)); break;
            case "hold": Thread.Sleep(Timeout.Infinite); break;
            case "burn-cpu": BurnCpu(NextInt(action, rest)); break;
            case "touch-mib": TouchMemory(NextInt(action, rest)); break;
            case "ignore-xcpu": Ignore(Native.SIGXCPU); break;
            case "write-file": WriteFile(Next(action, rest), NextLong(action, rest)); break;
            case "open-files": OpenFiles(NextInt(action, rest)); break;
            case "fork-loop": ForkLoop(NextInt(action, rest)); break;
            case "cat": WriteText(Stdout, File.ReadAllText(Next(action, rest))); break;
            case "threads": StartSleepingThreads(NextInt(action, rest)); break;
            case "await-stdout-pipe-size": AwaitStdoutPipeSize(NextInt(action, rest), NextInt(action, rest)); break;
            default: throw new UsageException($"unknown action '{action}'");
        }
    }

    // ---- actions -------------------------------------------------------------------------

    private static void StartSleepingThreads(int count)
    {
        for (var i = 0; i < count; i++)
        {
            new Thread(() => Thread.Sleep(Timeout.Infinite), maxStackSize: 64 * 1024) { IsBackground = true }.Start();
        }
    }

    private static void WritePattern(Stream stream, long count)
    {
        var chunk = new byte[(int)Math.Min(count, 64 * 1024)];
        for (var i = 0; i < chunk.Length; i++)
        {
            chunk[i] = (byte)('a' + (i % 26));
        }

        // Each chunk restarts at 'a' only if the chunk length is a multiple of 26, so track
        // the phase to keep the pattern continuous across chunks.
        long written = 0;
        while (written < count)
        {
            var phase = (int)(written % 26);
            var len = (int)Math.Min(chunk.Length - phase, count - written);
            stream.Write(chunk, phase, len);
            written += len;
        }

        stream.Flush();
    }

    private static void WriteTextPattern(long count)
    {
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < chunk.Length; i++)
        {
            chunk[i] = i % 64 == 63 ? (byte)'\n' : (byte)('a' + (i % 64 % 26));
        }

        for (long written = 0; written < count; written += chunk.Length)
        {
            Stdout.Write(chunk, 0, (int)Math.Min(chunk.Length, count - written));
        }

        Stdout.Flush();
    }

    private static void Interleave(int lines)
    {
        for (var i = 0; i < lines; i++)
        {
            WriteText(Stdout, string.Create(CultureInfo.InvariantCulture, $"o{i}\n"));
            WriteText(Stderr, string.Create(CultureInfo.InvariantCulture, $"e{i}\n"));
        }
    }

    private static string Unescape(string text) =>
        text.Replace("\\\\", "\u0001", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal)
            .Replace("\\r", "\r", StringComparison.Ordinal).Replace("\u0001", "\\", StringComparison.Ordinal);

    private static void Paced(int count, int intervalMs, Func<int, string> text)
    {
        for (var i = 0; i < count; i++)
        {
            if (i > 0) Thread.Sleep(intervalMs);
            WriteText(Stdout, text(i));
        }
    }

    private static void Exit(int code)
    {
        Stdout.Flush();
        Stderr.Flush();
        Environment.Exit(code);
    }

    private static void IgnoreTerm()
    {
        // The runtime installs its own SIGTERM handler (it turns SIGTERM into a graceful
        // shutdown). Setting the disposition to SIG_IGN at the kernel level overrides it, so
        // the signal is never delivered at all, which is what a stubborn child looks like.
        if (Native.Signal(Native.SIGTERM, Native.SIG_IGN) == Native.SIG_ERR)
        {
            throw new IOException($"signal(SIGTERM, SIG_IGN) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static void Ignore(int signal)
    {
        if (Native.Signal(signal, Native.SIG_IGN) == Native.SIG_ERR)
        {
            throw new IOException($"signal({signal}, SIG_IGN) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static void BurnCpu(int milliseconds)
    {
        // CPU time, not wall time: what a CPU limit and rusage count, whatever else the machine runs.
        var spins = 0L;
        while (Environment.CpuUsage.TotalTime.TotalMilliseconds < milliseconds)
        {
            for (var i = 0; i < 100_000; i++)
            {
                spins += i ^ (spins >> 3);
            }
        }

        GC.KeepAlive(spins);
    }

    private static unsafe void TouchMemory(int mebibytes)
    {
        // Native memory, written page by page: resident for certain, with nothing the GC could move or trim.
        var size = (nuint)mebibytes * 1024 * 1024;
        byte* block;
        try
        {
            block = (byte*)NativeMemory.Alloc(size);
        }
        catch (OutOfMemoryException)
        {
            TryWriteError("allocation failed\n");
            Exit(3);
            return;
        }

        for (nuint offset = 0; offset < size; offset += 4096)
        {
            block[offset] = 1;
        }

        NativeMemory.Free(block);
    }

    private static void WriteFile(string path, long count)
    {
        var chunk = new byte[64 * 1024];
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
            for (long written = 0; written < count; written += chunk.Length)
            {
                file.Write(chunk, 0, (int)Math.Min(chunk.Length, count - written));
            }
        }
        catch (IOException e) when (e.HResult == Native.EFBIG)
        {
            TryWriteError($"file too large: {e.Message}\n");
            Exit(4);
        }
    }

    private static void OpenFiles(int count)
    {
        var opened = 0;
        for (var i = 0; i < count && Native.Open("/dev/null", 0, 0) >= 0; i++)
        {
            opened++;
        }

        WriteLine(opened);
    }

    private static void ForkLoop(int max)
    {
        var started = 0;
        string? failure = null;
        while (started < max && failure is null)
        {
            try
            {
                StartCopy(["hold"]);
                started++;
            }
#pragma warning disable CA1031 // whatever stops the loop is reported, not thrown
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }
        }

        WriteText(Stdout, string.Create(CultureInfo.InvariantCulture, $"started {started}\n"));
        if (failure is not null)
        {
            WriteText(Stdout, $"failed: {failure}\n");
        }
    }

    private static void EchoStdin()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = stdin.Read(buffer, 0, buffer.Length)) > 0)
        {
            Stdout.Write(buffer, 0, n);
            Stdout.Flush();
        }
    }

    private static void CountStdin()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = stdin.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += n;
        }

        WriteLine(total);
    }

    private static void InvalidUtf8()
    {
        // FF FE is never valid UTF-8; "é" split across two writes checks that a reader
        // decoding incrementally does not mangle a sequence cut at a read boundary.
        Stdout.Write([0xFF, 0xFE, 0xC3]);
        Stdout.Flush();
        Thread.Sleep(50);
        Stdout.Write([0xA9, (byte)'\n']);
        Stdout.Flush();
    }

    private static void PrintEnv(string name) =>
        WriteText(Stdout, (Environment.GetEnvironmentVariable(name) ?? "<unset>") + "\n");

    private static List<int> OpenFds()
    {
        // Listing /proc/self/fd shows the directory fd used for the listing itself; it is
        // closed by the time the enumeration returns, so keep only fds that are still valid.
        var fds = new List<int>();
        foreach (var entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd)
                && Native.Fcntl(fd, Native.F_GETFD) != -1)
            {
                fds.Add(fd);
            }
        }

        fds.Sort();
        return fds;
    }

    // ---- spawning --------------------------------------------------------------------------

    private static void Spawn(string mode, List<string> childActions)
    {
        if (mode is not ("same-group" or "new-group" or "new-session" or "double-fork"))
        {
            throw new UsageException($"unknown spawn mode '{mode}'");
        }

        var become = mode == "same-group" ? [] : new List<string> { "--become", mode };
        StartCopy([.. become, .. childActions]);
    }

    // Runs at startup of a spawned copy, before its own actions.
    private static void Become(string mode, Queue<string> actions)
    {
        switch (mode)
        {
            case "new-group":
                Check(Native.SetPgid(0, 0), "setpgid");
                break;
            case "new-session":
                Check(Native.SetSid(), "setsid");
                break;
            case "double-fork":
                // The intermediate exits right away, so the grandchild is reparented to init
                // (or the nearest subreaper) and sits in a session of its own.
                StartCopy(["--become", "new-session", .. actions]);
                Environment.Exit(0);
                break;
            default:
                throw new UsageException($"unknown --become mode '{mode}'");
        }
    }

    private static void StartCopy(IEnumerable<string> args)
    {
        var processPath = Environment.ProcessPath
            ?? throw new InvalidOperationException("cannot determine own executable path");

        // No redirection: fds 0, 1 and 2 are inherited, so the copy holds our pipes open,
        // which is exactly what makes a leaked descendant visible to the library under test.
        var psi = new ProcessStartInfo(processPath) { UseShellExecute = false };
        if (System.IO.Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)
            ?? throw new InvalidOperationException("Process.Start returned null");
    }

    // Removes "[ ... ]" (with nesting) from the front of the queue and returns what was inside.
    private static List<string> TakeBracketed(Queue<string> rest)
    {
        if (!rest.TryDequeue(out var open) || open != "[")
        {
            throw new UsageException("spawn MODE must be followed by '[ ACTION... ]'");
        }

        var inner = new List<string>();
        var depth = 1;
        while (rest.TryDequeue(out var token))
        {
            depth += token switch { "[" => 1, "]" => -1, _ => 0 };
            if (depth == 0)
            {
                return inner;
            }

            inner.Add(token);
        }

        throw new UsageException("unbalanced '[' in spawn");
    }

    // ---- pid log -----------------------------------------------------------------------------

    private static void LogPid()
    {
        var path = Environment.GetEnvironmentVariable("TESTCHILD_PIDLOG");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        // /proc/PID/stat: "pid (comm) state ppid ...". comm may contain spaces and ')', so
        // split after the last ')'. Field 22 (starttime) is then index 19.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var line = Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {fields[19]}\n"));

        // .NET's FileMode.Append seeks to the end and writes at a tracked offset, which lets
        // concurrent appenders overwrite each other. O_APPEND plus a single write(2) does not.
        var fd = Native.Open(path, Native.O_WRONLY | Native.O_APPEND | Native.O_CREAT | Native.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0)
        {
            throw new IOException($"cannot open pid log '{path}': errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Native.Write(fd, line, line.Length) != line.Length)
            {
                throw new IOException($"short write to pid log '{path}'");
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    // ---- small helpers -------------------------------------------------------------------------

    private static void WriteText(Stream stream, string text)
    {
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush();
    }

    // The reader changes the pipe's size whenever it decides to: polled, with a bound, rather than assumed done.
    private static void AwaitStdoutPipeSize(int size, int milliseconds)
    {
        var clock = Stopwatch.StartNew();
        int current;
        while ((current = Native.Fcntl(1, Native.F_GETPIPE_SZ)) != size && clock.ElapsedMilliseconds < milliseconds) Thread.Sleep(1);
        WriteText(Stderr, current.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    private static void WriteLine(long value) =>
        WriteText(Stdout, value.ToString(CultureInfo.InvariantCulture) + "\n");

    private static void TryWriteError(string text)
    {
        try
        {
            WriteText(Stderr, text);
        }
        catch (IOException)
        {
            // Nobody is listening; the exit code still tells the story.
        }
    }

    private static void Check(int result, string call)
    {
        if (result < 0)
        {
            throw new IOException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static string Next(string action, Queue<string> rest) =>
        rest.TryDequeue(out var value) ? value : throw new UsageException($"'{action}' needs an argument");

    private static int NextInt(string action, Queue<string> rest)
    {
        var text = Next(action, rest);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"'{action}' needs an integer, got '{text}'");
    }

    private static long NextLong(string action, Queue<string> rest)
    {
        var text = Next(action, rest);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"'{action}' needs a non-negative integer, got '{text}'");
    }

    private sealed class UsageException(string message) : Exception(message);

    private static partial class Native
    {
        public const int SIGTERM = 15;
        public const int SIGSTOP = 19;
        public const int SIGXCPU = 24;
        public const int EFBIG = 27;
        public const int F_GETFD = 1;
        public const int F_GETPIPE_SZ = 1032;

        // Linux generic values (x86_64 and arm64 agree).
        public const int O_WRONLY = 0x1;
        public const int O_CREAT = 0x40;
        public const int O_APPEND = 0x400;
        public const int O_CLOEXEC = 0x80000;

        public static readonly IntPtr SIG_IGN = 1;
        public static readonly IntPtr SIG_ERR = -1;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int sig);

        [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
        public static partial IntPtr Signal(int sig, IntPtr handler);

        [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
        public static partial int GetPgid(int pid);

        [LibraryImport("libc", EntryPoint = "setpgid", SetLastError = true)]
        public static partial int SetPgid(int pid, int pgid);

        [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
        public static partial int SetSid();

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        public static partial int Fcntl(int fd, int cmd);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, byte[] buffer, nint count);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
