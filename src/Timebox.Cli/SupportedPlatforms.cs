using System.Runtime.Versioning;

// The CLI supervises processes through POSIX signals and process groups; Windows has neither. (Timebox.Hangfire, which
// compiles the batch sources in, leaves this file out: its jobs run wherever the library runs.)
[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]
