// Records, before the .NET runtime starts, which signals the caller left ignored and blocked. The runtime sets
// SIGPIPE to ignored (and installs its own handlers) before Main runs, so managed code cannot see what was
// inherited; GNU timeout passes ignored signals (SIGPIPE above all) on to its command, and so must we.
// Linked statically into the native timebox binary only: a constructor in a library loaded later would run too late.
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long long ignored_at_start;
static unsigned long long blocked_at_start;

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
