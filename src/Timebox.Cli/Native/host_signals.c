// Signal handling the timebox CLI does below the .NET runtime, linked statically into the native binary only.
// 1. Before the runtime starts, record which signals the caller left ignored and blocked: the runtime sets SIGPIPE
//    to ignored (and installs its own handlers) before Main runs, so managed code cannot see what was inherited,
//    and GNU timeout passes ignored signals (SIGPIPE above all) on to its command.
// 2. Forward the signals timebox handles to a pipe its event loop watches: a plain handler costs microseconds to
//    install, where the runtime's PosixSignalRegistration costs about a millisecond of the CLI's start-up.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long long ignored_at_start;
static unsigned long long blocked_at_start;
static int signal_pipe = -1;

__attribute__((constructor)) static void record_inherited_signals(void)
{
    for (int signal = 1; signal < 65; signal++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        if (syscall(SYS_rt_sigaction, signal, NULL, &action, 8) == 0 && action.sa_handler == SIG_IGN)
            ignored_at_start |= 1ULL << (signal - 1);
    }
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked_at_start, 8);
}

// Signal n is bit n-1 of each mask.
void timebox_inherited_signals(unsigned long long *ignored, unsigned long long *blocked)
{
    *ignored = ignored_at_start;
    *blocked = blocked_at_start;
}

static void write_signal_number(int signal)
{
    int saved_errno = errno;
    unsigned char number = (unsigned char)signal;
    // The pipe is non-blocking: if it is full, the loop has plenty of this signal to act on already.
    ssize_t ignored = write(signal_pipe, &number, 1);
    (void)ignored;
    errno = saved_errno;
}

// From now on each of the signals writes its number (one byte) to pipe_fd. Returns 0, or the errno of the failure.
int timebox_forward_signals(const int *signals, int count, int pipe_fd)
{
    signal_pipe = pipe_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = write_signal_number;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++)
        if (sigaction(signals[i], &action, NULL) != 0) return errno;
    return 0;
}
