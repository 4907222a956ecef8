using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Timebox.Platform.Windows;

/// <summary>The few kernel32 functions the Windows run needs (LibraryImport: no runtime marshalling, AOT-safe).</summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class Kernel32
{
    private const string Dll = "kernel32.dll";

    public const int ERROR_FILE_NOT_FOUND = 2, ERROR_PATH_NOT_FOUND = 3, ERROR_ACCESS_DENIED = 5, ERROR_BAD_FORMAT = 11,
        ERROR_BAD_EXE_FORMAT = 193, ERROR_EXE_MACHINE_TYPE_MISMATCH = 216, ERROR_DIRECTORY = 267, ERROR_ELEVATION_REQUIRED = 740;

    public const uint CREATE_SUSPENDED = 0x4, CREATE_NEW_PROCESS_GROUP = 0x200, CREATE_UNICODE_ENVIRONMENT = 0x400,
        EXTENDED_STARTUPINFO_PRESENT = 0x80000, CREATE_NO_WINDOW = 0x08000000;

    public const int STARTF_USESTDHANDLES = 0x100;
    public const nuint PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x20002;
    public const uint CTRL_BREAK_EVENT = 1;

    public const uint GENERIC_READ = 0x80000000, GENERIC_WRITE = 0x40000000, FILE_APPEND_DATA = 0x4, FILE_READ_ATTRIBUTES = 0x80,
        FILE_WRITE_ATTRIBUTES = 0x100, SYNCHRONIZE = 0x100000;

    public const uint FILE_SHARE_READ = 1, FILE_SHARE_WRITE = 2, FILE_SHARE_DELETE = 4;
    public const uint CREATE_ALWAYS = 2, OPEN_EXISTING = 3, OPEN_ALWAYS = 4, FILE_ATTRIBUTE_NORMAL = 0x80;

    public const uint PIPE_ACCESS_INBOUND = 1, PIPE_ACCESS_OUTBOUND = 2, FILE_FLAG_FIRST_PIPE_INSTANCE = 0x80000,
        FILE_FLAG_OVERLAPPED = 0x40000000, PIPE_REJECT_REMOTE_CLIENTS = 8; // PIPE_TYPE_BYTE, PIPE_READMODE_BYTE, PIPE_WAIT are 0

    public const int STD_INPUT_HANDLE = -10, STD_OUTPUT_HANDLE = -11, STD_ERROR_HANDLE = -12;
    public const uint DUPLICATE_SAME_ACCESS = 2, HANDLE_FLAG_INHERIT = 1;

    public const int JobObjectBasicAccountingInformation = 1, JobObjectExtendedLimitInformation = 9;

    public const uint JOB_OBJECT_LIMIT_PROCESS_TIME = 0x2, JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x8, JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x100,
        JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x400, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000;

    /// <summary>The pseudo-handle GetCurrentProcess returns.</summary>
    public static readonly nint CurrentProcess = -1;

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool CreateProcessW(char* applicationName, char* commandLine, void* processAttributes, void* threadAttributes,
        [MarshalAs(UnmanagedType.Bool)] bool inheritHandles, uint creationFlags, char* environment, char* currentDirectory,
        StartupInfoEx* startupInfo, ProcessInformation* processInformation);

    [LibraryImport(Dll, SetLastError = true)]
    public static partial uint ResumeThread(nint thread);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetHandleInformation(nint handle, uint* flags);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool CloseHandle(nint handle);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool TerminateProcess(SafeWaitHandle process, uint exitCode);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetExitCodeProcess(SafeWaitHandle process, uint* exitCode);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetProcessTimes(SafeWaitHandle process, long* creation, long* exit, long* kernel, long* user);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool InitializeProcThreadAttributeList(void* list, int count, uint flags, nuint* size);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool UpdateProcThreadAttribute(void* list, uint flags, nuint attribute, void* value, nuint size, void* previousValue, nuint* returnSize);

    [LibraryImport(Dll)]
    public static partial void DeleteProcThreadAttributeList(void* list);

    [LibraryImport(Dll, SetLastError = true)]
    public static partial SafeJobHandle CreateJobObjectW(void* securityAttributes, char* name);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool SetInformationJobObject(SafeJobHandle job, int infoClass, void* info, uint length);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool QueryInformationJobObject(SafeJobHandle job, int infoClass, void* info, uint length, uint* returnLength);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool AssignProcessToJobObject(SafeJobHandle job, SafeWaitHandle process);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool TerminateJobObject(SafeJobHandle job, uint exitCode);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);

    /// <summary>0 when the host has no console.</summary>
    [LibraryImport(Dll)]
    public static partial uint GetConsoleCP();

    [LibraryImport(Dll, SetLastError = true)]
    public static partial SafeFileHandle CreateNamedPipeW(char* name, uint openMode, uint pipeMode, uint maxInstances, uint outBufferSize,
        uint inBufferSize, uint defaultTimeout, SecurityAttributes* securityAttributes);

    [LibraryImport(Dll, SetLastError = true)]
    public static partial SafeFileHandle CreateFileW(char* name, uint access, uint share, SecurityAttributes* securityAttributes,
        uint creationDisposition, uint flags, nint template);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool PeekNamedPipe(SafeFileHandle pipe, void* buffer, uint size, uint* read, uint* available, uint* leftThisMessage);

    [LibraryImport(Dll, SetLastError = true)]
    public static partial nint GetStdHandle(int which);

    [LibraryImport(Dll, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool DuplicateHandle(nint sourceProcess, nint source, nint targetProcess, nint* target, uint access,
        [MarshalAs(UnmanagedType.Bool)] bool inherit, uint options);

    /// <summary>The last Win32 error of a failed call, as an <see cref="IOException"/> naming the call.</summary>
    public static IOException LastError(string call) => Error(call, Marshal.GetLastPInvokeError());

    public static IOException Error(string call, int error) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(error)} (error {error})", unchecked((int)0x80070000) | error);
}
