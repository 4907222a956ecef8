using System.Diagnostics;
using System.Globalization;
using Timebox;

// Run by the tests as PID 1 of a new PID namespace, where the .NET runtime reaps every child itself once
// System.Diagnostics.Process has been used. Prints "pid=N" then one line per run: "exit CODE" or "signal SIG".
Console.WriteLine($"pid={Environment.ProcessId}");
using (var warmUp = Process.Start("true")) warmUp.WaitForExit();

for (var i = 0; i < 30; i++)
{
    var result = i % 3 == 2
        ? await new Command("sh", "-c", "kill -9 $$").RunAsync()
        : await new Command("sh", "-c", $"exit {i}").RunAsync();
    Console.WriteLine(result.ExitCode is { } code
        ? string.Create(CultureInfo.InvariantCulture, $"exit {code}")
        : string.Create(CultureInfo.InvariantCulture, $"signal {result.Signal?.ToString(CultureInfo.InvariantCulture) ?? "lost"}"));
}
