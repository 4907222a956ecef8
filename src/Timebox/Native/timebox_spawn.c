// Spawns a program and returns its pidfd atomically (clone with CLONE_PIDFD), so that no other reaper in the
// host (the .NET runtime reaps every child when the host is PID 1) can take the child before we hold it.
// Does what glibc's posix_spawn does with SETPGROUP | SETSIGDEF | SETSIGMASK, dup2 of the three standard
// streams, chdir and closefrom(3) (sparing the descriptors the caller passes on), plus what posix_spawn cannot express: signals kept ignored (the timebox CLI
// passes on what its caller ignored), a parent-death signal, resource limits, joining cgroups and registering with
// the parent-exit guardian, all before the program's first instruction. The child runs on its own stack in the
// parent's memory (CLONE_VM | CLONE_VFORK), with every signal blocked until its handlers are reset.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

extern char **environ;

// Mirrors SpawnOptions in PosixSpawner.cs. Signal n is bit n-1 of the masks.
struct spawn_options {
    int new_process_group;          // 1: the child leads a new group; 0: it stays in the parent's
    int parent_death_signal;        // sent to the child when the spawning thread ends; 0: none
    unsigned long long keep_ignored; // signals the child starts with ignored instead of default
    unsigned long long signal_mask;  // the child's blocked signals
    unsigned int rlimit_mask;        // bit r: set resource r (RLIMIT_*) to rlimits[r] before exec
    int cgroup_procs_fds[3];         // -1, or the cgroup.procs of a cgroup the child moves itself into before exec (one per hierarchy)
    int guardian_fd;                 // -1, or the pipe to the parent-exit guardian: the child writes "+PID\n" to it
    unsigned long long rlimits[16][2]; // soft, hard
};

// Which step of the spawn failed, so that the caller can name the culprit: the same errno means "no such directory"
// from chdir and "no such program" from exec. Mirrors SpawnStep.cs.
enum spawn_step { STEP_EXEC = 0, STEP_WORKING_DIRECTORY = 1, STEP_CHILD_SETUP = 2, STEP_CLONE = 3 };

struct spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int fds[3];
    const int *kept_fds;             // passed on at the same numbers: ascending, each 3 or more
    int kept_count;
    const struct spawn_options *options;
    pid_t parent;
    sigset_t parent_mask;
    volatile int error;
    volatile int step;
};

// Writes "+PID\n" or "-PID\n" (this process's pid) to the guardian pipe in one write, so lines never interleave.
static int tell_guardian(int fd, char sign)
{
    char line[16];
    int length = sizeof line;
    line[--length] = '\n';
    for (unsigned int pid = (unsigned int)syscall(SYS_getpid); pid != 0; pid /= 10) line[--length] = (char)('0' + pid % 10);
    line[--length] = sign;
    return write(fd, line + length, sizeof line - length) == (ssize_t)(sizeof line - length);
}

static int child_main(void *arg)
{
    struct spawn_request *request = arg;
    const struct spawn_options *options = request->options;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    request->step = STEP_CHILD_SETUP;
    for (int signal = 1; signal < 65; signal++) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        action.sa_handler = (options->keep_ignored >> (signal - 1)) & 1 ? SIG_IGN : SIG_DFL;
        syscall(SYS_rt_sigaction, signal, &action, NULL, 8);
    }
    if (options->new_process_group && setpgid(0, 0) != 0) goto fail;
    if (options->parent_death_signal != 0) {
        if (prctl(PR_SET_PDEATHSIG, options->parent_death_signal) != 0) goto fail;
        // The parent may have been killed between the clone and the prctl: then nobody would ever send it.
        if (getppid() != request->parent) _exit(128 + options->parent_death_signal);
    }
    for (int target = 0; target < 3; target++) {
        int fd = request->fds[target];
        if (fd < 0) continue;
        if (fd == target) {
            // dup2 onto itself keeps CLOEXEC; clear it instead.
            if (syscall(SYS_fcntl, fd, F_SETFD, 0) != 0) goto fail;
        } else if (dup2(fd, target) < 0) {
            goto fail;
        }
    }
    request->step = STEP_WORKING_DIRECTORY;
    if (request->cwd != NULL && chdir(request->cwd) != 0) goto fail;
    request->step = STEP_CHILD_SETUP;
    // Limits and the cgroups come before the program's first instruction, so it never runs unconfined; after the
    // descriptors are in place, so a low open-files limit cannot stop the dup2 onto 0-2.
    for (int resource = 0; resource < 16; resource++) {
        if (!((options->rlimit_mask >> resource) & 1)) continue;
        struct rlimit limit = { options->rlimits[resource][0], options->rlimits[resource][1] };
        if (setrlimit(resource, &limit) != 0) goto fail;
    }
    for (int cgroup = 0; cgroup < 3; cgroup++) {
        int fd = options->cgroup_procs_fds[cgroup];
        if (fd >= 0 && write(fd, "0", 1) != 1) goto fail;
    }
    // Registered before exec: once the program runs, the guardian knows its group, whenever the parent dies.
    if (options->guardian_fd >= 0 && !tell_guardian(options->guardian_fd, '+')) goto fail;
    // Close-on-exec cleared on the descriptors passed on (fcntl also fails for one that is not open), every other closed.
    unsigned int first_closed = 3;
    for (int i = 0; i < request->kept_count; i++) {
        int fd = request->kept_fds[i];
        if (syscall(SYS_fcntl, fd, F_SETFD, 0) != 0) goto fail;
        if ((unsigned int)fd > first_closed) syscall(SYS_close_range, first_closed, fd - 1, 0);
        first_closed = fd + 1;
    }
    syscall(SYS_close_range, first_closed, ~0U, 0);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &options->signal_mask, NULL, 8);
    request->step = STEP_EXEC;
    execve(request->path, request->argv, request->envp != NULL ? request->envp : environ);
fail:
    request->error = errno;
    // Unregistered again, so the guardian never signals a group id that may be recycled once this child is reaped.
    if (options->guardian_fd >= 0) tell_guardian(options->guardian_fd, '-');
    _exit(127);
}

// Returns 0 and sets *pid and *pidfd, or an errno value (exec errors included: ENOENT, EACCES, ENOEXEC, ...) and sets
// *step to the step that failed. A null envp passes this process's environ on as it is.
int timebox_spawn(const char *path, char *const *argv, char *const *envp, const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, const int *kept_fds, int kept_count,
                  const struct spawn_options *options, int *pid, int *pidfd, int *step)
{
    // The child runs on this frame's own stack space until it execs: the parent is suspended (CLONE_VFORK) all that
    // time, so the buffer is free, and no mmap/munmap pair (a TLB shootdown across every host thread) is needed.
    enum { stack_size = 16 * 1024 };
    char stack[stack_size] __attribute__((aligned(16)));

    struct spawn_request request = { path, argv, envp, cwd, { stdin_fd, stdout_fd, stderr_fd }, kept_fds, kept_count, options, getpid(), {{0}}, 0, STEP_CLONE };
    // Block every signal, glibc's internal ones included, so no host handler runs on the child's stack.
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &(unsigned long){ ~0UL }, &request.parent_mask, 8);

    int fd = -1;
    int child = clone(child_main, stack + stack_size, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &request, &fd);
    int clone_error = errno;

    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &request.parent_mask, NULL, 8);

    if (child < 0) {
        *step = STEP_CLONE;
        return clone_error;
    }
    if (request.error != 0) {
        // The child failed before exec and has exited: reap it through its pidfd and report why.
        siginfo_t info;
        waitid(P_PIDFD, fd, &info, WEXITED);
        close(fd);
        *step = request.step;
        return request.error;
    }
    *pid = child;
    *pidfd = fd;
    return 0;
}

// Lets the managed side check, without spawning anything, that this library is present (and of this layout).
int timebox_spawn_abi(void)
{
    return 6;
}
