using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Timebox.Platform.Windows;

/// <summary>
/// Starts a program suspended, in a new process group, inside the run's job, then lets it run: it never executes an
/// instruction outside the job. It inherits exactly its three standard handles (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), not
/// whatever other inheritable handles the host happens to hold, plus the command's <see cref="Command.InheritedDescriptors"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe class WindowsSpawner
{
    /// <summary>Returns the process handle (its exit is waited on through it) and the process id.</summary>
    public static (SafeWaitHandle Process, int ProcessId) Start(Command command, in WindowsProgram program, string? workingDirectory,
        StdioHandles stdio, JobObject job)
    {
        // Pinned for good: the attribute list keeps a pointer to it until CreateProcess has run.
        var handles = GC.AllocateArray<nint>(3 + command.InheritedDescriptors.Count, pinned: true);
        var count = 0;
        foreach (var handle in new[] { stdio.ChildStdin, stdio.ChildStdout, stdio.ChildStderr })
        {
            // Listed once each (stderr merged into stdout is the same handle), and only real ones.
            if (handle is null) continue;
            var value = handle.DangerousGetHandle();
            if (!handles.AsSpan(0, count).Contains(value)) handles[count++] = value;
        }
        foreach (var value in command.InheritedDescriptors)
        {
            // CreateProcess refuses a listed handle that is not inheritable with a bare "The parameter is incorrect".
            uint handleFlags;
            if (!Kernel32.GetHandleInformation(value, &handleFlags))
                throw new CommandStartException(command, $"Handle {value} cannot be passed on: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            if ((handleFlags & Kernel32.HANDLE_FLAG_INHERIT) == 0)
                throw new CommandStartException(command, $"Handle {value} cannot be passed on: it is not inheritable (SetHandleInformation with HANDLE_FLAG_INHERIT)");
            if (!handles.AsSpan(0, count).Contains(value)) handles[count++] = value;
        }

        // Without a console of its own the host could not send Ctrl+Break to the child's group; the child then gets a
        // console without a window (instead of a window popping up) and is stopped by the job alone.
        var flags = Kernel32.CREATE_SUSPENDED | Kernel32.CREATE_NEW_PROCESS_GROUP | Kernel32.CREATE_UNICODE_ENVIRONMENT | Kernel32.EXTENDED_STARTUPINFO_PRESENT;
        if (Kernel32.GetConsoleCP() == 0) flags |= Kernel32.CREATE_NO_WINDOW;

        nuint size = 0;
        Kernel32.InitializeProcThreadAttributeList(null, 1, 0, &size);
        var attributes = NativeMemory.Alloc(size);
        try
        {
            if (!Kernel32.InitializeProcThreadAttributeList(attributes, 1, 0, &size))
                throw new CommandStartException(command, "InitializeProcThreadAttributeList failed", Kernel32.LastError("InitializeProcThreadAttributeList"));
            try
            {
                bool listed;
                fixed (nint* list = handles)
                    listed = count == 0 || Kernel32.UpdateProcThreadAttribute(attributes, 0, Kernel32.PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list, (nuint)(count * sizeof(nint)), null, null);
                if (!listed)
                    throw new CommandStartException(command, "UpdateProcThreadAttribute failed", Kernel32.LastError("UpdateProcThreadAttribute"));
                var startup = new StartupInfoEx
                {
                    Cb = sizeof(StartupInfoEx),
                    Flags = Kernel32.STARTF_USESTDHANDLES,
                    StdInput = stdio.ChildStdin?.DangerousGetHandle() ?? 0,
                    StdOutput = stdio.ChildStdout?.DangerousGetHandle() ?? 0,
                    StdError = stdio.ChildStderr?.DangerousGetHandle() ?? 0,
                    AttributeList = (nint)attributes,
                };
                ProcessInformation info;
                var line = (program.CommandLine + '\0').ToCharArray(); // CreateProcessW may write to the command line
                fixed (char* app = program.Application)
                fixed (char* lineBuffer = line)
                fixed (char* env = program.EnvironmentBlock)
                fixed (char* directory = workingDirectory)
                {
                    if (!Kernel32.CreateProcessW(app, lineBuffer, null, null, inheritHandles: count > 0, flags, env, directory, &startup, &info))
                        throw StartError(command, program.Application, workingDirectory, Marshal.GetLastPInvokeError());
                }
                return Run(command, info, job);
            }
            finally
            {
                Kernel32.DeleteProcThreadAttributeList(attributes);
            }
        }
        finally
        {
            NativeMemory.Free(attributes);
        }
    }

    // Suspended → in the job → resumed; a process that cannot be put in the job never runs.
    private static (SafeWaitHandle, int) Run(Command command, ProcessInformation info, JobObject job)
    {
        var process = new SafeWaitHandle(info.Process, ownsHandle: true);
        try
        {
            if (!job.Assign(process))
                throw new CommandStartException(command, "The process could not be put in its job object", Kernel32.LastError("AssignProcessToJobObject"));
            if (Kernel32.ResumeThread(info.Thread) == uint.MaxValue)
                throw new CommandStartException(command, "The process could not be resumed", Kernel32.LastError("ResumeThread"));
        }
        catch
        {
            Kernel32.TerminateProcess(process, JobObject.KilledExitCode);
            process.Dispose();
            throw;
        }
        finally
        {
            Kernel32.CloseHandle(info.Thread);
        }
        return (process, info.ProcessId);
    }

    private static CommandStartException StartError(Command command, string application, string? workingDirectory, int error) => error switch
    {
        Kernel32.ERROR_DIRECTORY or Kernel32.ERROR_FILE_NOT_FOUND or Kernel32.ERROR_PATH_NOT_FOUND
            when workingDirectory is not null && !Directory.Exists(workingDirectory) =>
            new WorkingDirectoryException(command, workingDirectory, "does not exist"),
        Kernel32.ERROR_DIRECTORY when workingDirectory is not null => new WorkingDirectoryException(command, workingDirectory, "is not usable"),
        Kernel32.ERROR_FILE_NOT_FOUND or Kernel32.ERROR_PATH_NOT_FOUND => new ProgramNotFoundException(command, application, []),
        Kernel32.ERROR_ACCESS_DENIED => new ProgramNotExecutableException(command, application, "permission denied"),
        Kernel32.ERROR_ELEVATION_REQUIRED => new ProgramNotExecutableException(command, application, "it requires elevation (administrator rights)"),
        Kernel32.ERROR_BAD_EXE_FORMAT or Kernel32.ERROR_EXE_MACHINE_TYPE_MISMATCH or Kernel32.ERROR_BAD_FORMAT =>
            new ProgramNotExecutableException(command, application, "not an executable format"),
        _ => new CommandStartException(command, $"CreateProcess failed with error {error} ({Marshal.GetPInvokeErrorMessage(error)})"),
    };
}
