// Times whole commands the way a shell runs them (posix_spawn + waitpid), interleaving the commands run by run so
// that machine noise hits them alike, and prints each one's median, 10th and 90th percentile wall time.
// Usage: spawn_median RUNS COMMAND... [--- COMMAND...]...
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s RUNS COMMAND... [--- COMMAND...]...\n", argv[0]);
        return 2;
    }
    int runs = atoi(argv[1]);
    char **commands[16];
    int count = 0;
    commands[count++] = &argv[2];
    for (int i = 2; i < argc && count < 16; i++) {
        if (strcmp(argv[i], "---") == 0) {
            argv[i] = NULL;
            commands[count++] = &argv[i + 1];
        }
    }
    double *times = calloc((size_t)runs * count, sizeof *times);
    for (int run = 0; run < runs; run++) {
        for (int c = 0; c < count; c++) {
            struct timespec start, end;
            pid_t pid;
            clock_gettime(CLOCK_MONOTONIC, &start);
            if (posix_spawnp(&pid, commands[c][0], NULL, NULL, commands[c], environ) != 0) {
                perror("posix_spawnp");
                return 1;
            }
            int status;
            waitpid(pid, &status, 0);
            clock_gettime(CLOCK_MONOTONIC, &end);
            times[c * runs + run] = (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
        }
    }
    double first_median = 0;
    for (int c = 0; c < count; c++) {
        double *t = &times[c * runs];
        qsort(t, runs, sizeof *t, compare);
        double median = t[runs / 2];
        if (c == 0) first_median = median;
        printf("%-40s median %8.0f us  p10 %8.0f  p90 %8.0f  ratio to first %.2f\n",
               commands[c][0], median, t[runs / 10], t[runs * 9 / 10], median / first_median);
    }
    return 0;
}
