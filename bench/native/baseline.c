// The C baselines of bench/Timebox.Bench: what posix_spawn + waitpid + read reach on this machine.
// Each mode prints one number per line: microseconds per run, or for `discard` and `parallel` a single rate.
//   baseline true RUNS            posix_spawn /bin/true, waitpid; one line per run
//   baseline echo RUNS            posix_spawn echo hello with a stdout pipe, read to EOF, waitpid; one line per run
//   baseline parallel TOTAL K     TOTAL runs of /bin/true with K in flight; prints runs per second
//   baseline discard BYTES        read a child's BYTES of stdout (head -c BYTES /dev/zero) with a 64 KiB buffer; prints bytes per second
//   baseline capture BYTES        the same, read into one growing heap buffer kept until the end; prints bytes per second
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static pid_t spawn(char *const argv[], int stdout_fd)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &actions, NULL, argv, environ) != 0) { perror("posix_spawn"); exit(1); }
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

static long read_all(int fd, char *buffer, size_t size)
{
    long total = 0;
    ssize_t n;
    while ((n = read(fd, buffer, size)) > 0) total += n;
    return total;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: see the comment at the top of baseline.c\n"); return 2; }
    const char *mode = argv[1];
    long runs = atol(argv[2]);
    static char buffer[65536];
    if (strcmp(mode, "true") == 0) {
        char *args[] = { "/bin/true", NULL };
        for (long i = 0; i < runs; i++) {
            double start = now_us();
            int status;
            waitpid(spawn(args, -1), &status, 0);
            printf("%.1f\n", now_us() - start);
        }
    } else if (strcmp(mode, "echo") == 0) {
        char *args[] = { "/bin/echo", "hello", NULL };
        for (long i = 0; i < runs; i++) {
            double start = now_us();
            int fds[2];
            if (pipe2(fds, O_CLOEXEC) != 0) return 1;
            pid_t pid = spawn(args, fds[1]);
            close(fds[1]);
            read_all(fds[0], buffer, sizeof buffer);
            close(fds[0]);
            int status;
            waitpid(pid, &status, 0);
            printf("%.1f\n", now_us() - start);
        }
    } else if (strcmp(mode, "parallel") == 0) {
        long in_flight = argc > 3 ? atol(argv[3]) : 32;
        char *args[] = { "/bin/true", NULL };
        double start = now_us();
        long started = 0, done = 0, running = 0;
        while (done < runs) {
            while (running < in_flight && started < runs) { spawn(args, -1); started++; running++; }
            int status;
            if (waitpid(-1, &status, 0) > 0) { done++; running--; }
        }
        printf("%.1f\n", runs / ((now_us() - start) / 1e6));
    } else if (strcmp(mode, "discard") == 0 || strcmp(mode, "capture") == 0) {
        int capture = strcmp(mode, "capture") == 0;
        char count[32];
        snprintf(count, sizeof count, "%ld", runs);
        char *args[] = { "/usr/bin/head", "-c", count, "/dev/zero", NULL };
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) return 1;
        double start = now_us();
        pid_t pid = spawn(args, fds[1]);
        close(fds[1]);
        long total = 0;
        if (capture) {
            size_t size = 1 << 16;
            char *memory = malloc(size);
            ssize_t n;
            while (memory != NULL && (n = read(fds[0], memory + total, size - total)) > 0) {
                total += n;
                if ((size_t)total == size) memory = realloc(memory, size *= 2);
            }
            free(memory);
        } else {
            total = read_all(fds[0], buffer, sizeof buffer);
        }
        int status;
        waitpid(pid, &status, 0);
        printf("%.1f\n", total / ((now_us() - start) / 1e6));
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
