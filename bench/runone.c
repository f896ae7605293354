/* runone: runs a command once, stdin/stdout/stderr on /dev/null, and prints
 *   <wall ns> <max RSS KiB> <exit code> <CPU us>
 * Wall time is CLOCK_MONOTONIC around fork + exec + wait4; max RSS is the child's ru_maxrss;
 * CPU is its user + system time (which, unlike wall time, hardly moves when the machine is busy).
 *
 * Why not Python's os.wait4 directly: on Linux, exec records the high-water RSS of the memory
 * image it replaces into the process's ru_maxrss. A child forked (or vforked) from Python
 * starts from Python's image, so every figure would be at least the harness's own RSS
 * (about 15 MB). Forking from this small program keeps that floor under 2 MB.
 *
 * Build: cc -O2 -o runone bench/runone.c   (bench/run.sh does it)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: runone COMMAND [ARG]...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runone: fork");
        return 2;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) _exit(126);
        if (null > 2) close(null);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("runone: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    long long cpu_us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL
                       + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    printf("%lld %ld %d %lld\n", ns, ru.ru_maxrss, code, cpu_us);
    return 0;
}
