// N streaming clients of `charrnn serve` in a process of their own (issue 27): each posts
// POST /v1/generate {"length": L, "stream": true} over loopback, reads to the end, and posts
// again until the time is up; it prints the characters per second of all of them and the time
// from a request's connect to its first `text` event (mean, p50, p99). `charrnn bench`'s serve
// rows run their clients as threads of the server's own process; this is the same load from
// outside it, as clients on other machines would be (they still share this machine's cores).
//   cc -O2 -pthread bench/serve_load_probe.c -o /tmp/serve_load_probe
//   charrnn serve --checkpoint RUN --port 8931 &
//   /tmp/serve_load_probe 8931 32 500 10        # port, clients, length, seconds
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, length;
static double deadline;
static double *firsts;
static long count, capacity, characters;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *client(void *arg) {
    unsigned long seed = (unsigned long)(long)arg << 32;
    char body[128], request[512], buffer[65536];
    size_t limit = 1 << 22;
    char *answer = malloc(limit + 1);
    while (now() < deadline) {
        snprintf(body, sizeof body, "{\"length\":%d,\"seed\":%lu,\"stream\":true}", length, seed++);
        snprintf(request, sizeof request,
                 "POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
        double sent = now(), first = 0;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = inet_addr("127.0.0.1");
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
        if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request)) { perror("send"); exit(1); }
        size_t n = 0;
        ssize_t k;
        while ((k = recv(fd, buffer, sizeof buffer, 0)) > 0) {
            if (n + k <= limit) { memcpy(answer + n, buffer, k); n += k; }
            if (first == 0 && memmem(answer, n, "event: text", 11)) first = now() - sent;
        }
        close(fd);
        char *done = memmem(answer, n, "event: done\ndata: ", 18);
        char *field = done ? memmem(done, answer + n - done, "\"characters\":", 13) : NULL;
        if (strncmp(answer, "HTTP/1.1 200", 12) != 0 || first == 0 || !field) {
            fprintf(stderr, "a request failed: %.200s\n", answer);
            exit(1);
        }
        pthread_mutex_lock(&lock);
        if (count == capacity) { capacity = capacity ? 2 * capacity : 1024; firsts = realloc(firsts, capacity * sizeof *firsts); }
        firsts[count++] = first;
        characters += atol(field + 13);
        pthread_mutex_unlock(&lock);
    }
    free(answer);
    return NULL;
}

static int ascending(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s PORT CLIENTS LENGTH SECONDS\n", argv[0]); return 64; }
    port = atoi(argv[1]);
    int clients = atoi(argv[2]);
    length = atoi(argv[3]);
    double seconds = atof(argv[4]), start = now();
    if (clients < 1 || clients > 1024 || length < 1 || seconds <= 0) { fprintf(stderr, "bad arguments\n"); return 64; }
    deadline = start + seconds;
    pthread_t *threads = malloc(clients * sizeof *threads);
    for (long c = 0; c < clients; c++) pthread_create(&threads[c], NULL, client, (void *)c);
    for (int c = 0; c < clients; c++) pthread_join(threads[c], NULL);
    double busy = now() - start, sum = 0;
    qsort(firsts, count, sizeof *firsts, ascending);
    for (long i = 0; i < count; i++) sum += firsts[i];
    printf("%d clients: %ld requests, %.0f chars/s; first text event mean %.1f ms, p50 %.1f ms, p99 %.1f ms\n", clients, count,
           characters / busy, 1e3 * sum / count, 1e3 * firsts[count / 2], 1e3 * firsts[(long)(0.99 * (count - 1))]);
    return 0;
}
