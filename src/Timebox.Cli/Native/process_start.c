// What the timebox CLI was started with, recorded before the .NET runtime starts (linked statically into the native
// binary only; glibc passes argc and argv to the constructors of the executable):
// 1. Its arguments as bytes. The runtime decodes argv to UTF-16 for Main, replacing every byte that is not UTF-8,
//    and GNU timeout passes its command's arguments on unchanged.
// 2. The descriptors it inherited: open, from 3 up, and not close-on-exec (exec closed any that were, and what this
//    process opened itself before now is close-on-exec). GNU timeout passes every one on: process substitution's
//    /dev/fd/63, a jobserver's pipe, a lock held on descriptor 9. Recorded now, before the runtime opens its own.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int start_argc;
static char **start_argv;
static int *inherited;
static int inherited_count, inherited_capacity;

static void record_if_inherited(int fd)
{
    if (fd < 3) return;
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC)) return;
    if (inherited_count == inherited_capacity) {
        int capacity = inherited_capacity == 0 ? 16 : inherited_capacity * 2;
        int *grown = realloc(inherited, capacity * sizeof *grown);
        if (grown == NULL) return;
        inherited = grown;
        inherited_capacity = capacity;
    }
    inherited[inherited_count++] = fd;
}

// Ascending, as the kernel lists them.
static int record_from_proc(void)
{
    int directory = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) return 0;
    char buffer[4096] __attribute__((aligned(8)));
    long length;
    while ((length = syscall(SYS_getdents64, directory, buffer, sizeof buffer)) > 0) {
        for (long offset = 0; offset < length;) {
            // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
            unsigned short record_length = *(unsigned short *)(buffer + offset + 16);
            const char *name = buffer + offset + 19;
            if (name[0] >= '0' && name[0] <= '9') {
                int fd = 0;
                for (const char *digit = name; *digit != '\0'; digit++) fd = fd * 10 + (*digit - '0');
                if (fd != directory) record_if_inherited(fd);
            }
            offset += record_length;
        }
    }
    close(directory);
    return length == 0;
}

__attribute__((constructor)) static void record_process_start(int argc, char **argv)
{
    start_argc = argc;
    start_argv = argv;
    if (record_from_proc()) return;
    // No /proc, or no descriptor left to read it with (a limit as low as `ulimit -n 4`): ask each one in turn.
    inherited_count = 0;
    struct rlimit limit;
    int highest = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? (int)limit.rlim_cur : 65536;
    for (int fd = 3; fd < highest; fd++) record_if_inherited(fd);
}

// argv as the process received it; the strings live as long as the process.
int timebox_start_arguments(char ***argv)
{
    *argv = start_argv;
    return start_argc;
}

// The inherited descriptors from 3 up, ascending.
int timebox_inherited_descriptors(const int **fds)
{
    *fds = inherited;
    return inherited_count;
}
