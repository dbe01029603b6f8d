// What NVML reports on this machine, through the same dlopen loader as the GPU module
// (Sources/CNVML/nvml.c). Built and run by scripts/gpu-check with nothing but a C compiler.
// Exit 0: NVML answered; 1: NVML not available.
#include "CNVML.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static stackpilot_nvml *nvml;

static void report(const char *what, int code) {
    printf("  %s: error %d (%s)\n", what, code, stackpilot_nvml_error_string(nvml, code));
}

// The container id of a pid, as the GPU module finds it: the last 64-hex component of its cgroup
// path (docker-<id>.scope for the systemd driver). Prints "-" for a host process.
static void container_of(unsigned int pid, const char *proc_root, char *out, size_t length) {
    snprintf(out, length, "-");
    char path[256];
    snprintf(path, sizeof path, "%s/%u/cgroup", proc_root, pid);
    FILE *file = fopen(path, "r");
    if (!file) { snprintf(out, length, "? (cannot read %s)", path); return; }
    char line[4096];
    while (fgets(line, sizeof line, file)) {
        for (char *p = line; *p; p++) {
            size_t run = strspn(p, "0123456789abcdef");
            if (run == 64 && (p == line || p[-1] == '/' || p[-1] == '-') && (p[64] == '\n' || p[64] == '.' || p[64] == '/' || p[64] == 0)) {
                snprintf(out, length, "%.64s", p);
            }
            if (run > 0) p += run - 1;
        }
    }
    fclose(file);
}

int main(int argc, char **argv) {
    const char *library = getenv("STACKPILOT_NVML_LIBRARY");
    if (!library || !*library) library = "libnvidia-ml.so.1";
    const char *proc_root = argc > 1 ? argv[1] : "/proc";
    char error[512];
    nvml = stackpilot_nvml_open(library, error, sizeof error);
    if (!nvml) {
        printf("NVML: not available: %s\n", error);
        return 1;
    }
    int code = stackpilot_nvml_init(nvml);
    if (code != 0) {
        printf("NVML: not available: nvmlInit_v2 failed: %s (NVML error %d)\n", stackpilot_nvml_error_string(nvml, code), code);
        stackpilot_nvml_close(nvml);
        return 1;
    }
    char text[96];
    printf("NVML: loaded %s\n", library);
    if ((code = stackpilot_nvml_driver_version(nvml, text, sizeof text)) == 0) printf("driver version: %s\n", text); else report("driver version", code);
    if ((code = stackpilot_nvml_nvml_version(nvml, text, sizeof text)) == 0) printf("NVML version: %s\n", text); else report("NVML version", code);
    unsigned int count = 0;
    if ((code = stackpilot_nvml_device_count(nvml, &count)) != 0) report("device count", code);
    printf("GPUs: %u\n", count);
    for (unsigned int i = 0; i < count; i++) {
        printf("GPU %u:\n", i);
        if ((code = stackpilot_nvml_device_name(nvml, i, text, sizeof text)) == 0) printf("  name: %s\n", text); else report("name", code);
        if ((code = stackpilot_nvml_device_uuid(nvml, i, text, sizeof text)) == 0) printf("  uuid: %s\n", text); else report("uuid", code);
        unsigned int minor = 0;
        if ((code = stackpilot_nvml_device_minor_number(nvml, i, &minor)) == 0) printf("  device: nvidia%u\n", minor); else report("minor number", code);
        stackpilot_nvml_memory memory;
        if ((code = stackpilot_nvml_device_memory(nvml, i, &memory)) == 0) {
            printf("  memory: total %llu MiB, free %llu MiB, used %llu MiB (%.1f %% free)\n", memory.total >> 20, memory.free >> 20, memory.used >> 20,
                   memory.total ? 100.0 * (double)memory.free / (double)memory.total : 0.0);
        } else report("memory", code);
        stackpilot_nvml_utilization rates;
        if ((code = stackpilot_nvml_device_utilization(nvml, i, &rates)) == 0) printf("  utilization: gpu %u %%, memory %u %%\n", rates.gpu, rates.memory); else report("utilization", code);
        unsigned int value = 0;
        if ((code = stackpilot_nvml_device_temperature(nvml, i, &value)) == 0) printf("  temperature: %u C\n", value); else report("temperature", code);
        if ((code = stackpilot_nvml_device_power_usage(nvml, i, &value)) == 0) printf("  power: %.3f W\n", value / 1000.0); else report("power", code);
        unsigned int current = 0, pending = 0;
        if ((code = stackpilot_nvml_device_mig_mode(nvml, i, &current, &pending)) == 0) printf("  MIG: %s (pending %s)\n", current ? "on" : "off", pending ? "on" : "off"); else report("MIG mode", code);
        unsigned long long ecc = 0;
        if ((code = stackpilot_nvml_device_uncorrected_ecc_errors(nvml, i, 0, &ecc)) == 0) printf("  uncorrected ECC errors (volatile): %llu\n", ecc); else report("ECC errors", code);
        stackpilot_nvml_process processes[64];
        unsigned int found = 64;
        if ((code = stackpilot_nvml_device_compute_processes(nvml, i, &found, processes)) == 0) {
            printf("  compute processes: %u\n", found);
            for (unsigned int p = 0; p < found && p < 64; p++) {
                char container[320];
                container_of(processes[p].pid, proc_root, container, sizeof container);
                if (processes[p].usedGpuMemory == ~0ULL) printf("    pid %u: memory not available, container %s\n", processes[p].pid, container);
                else printf("    pid %u: %llu MiB, container %s\n", processes[p].pid, processes[p].usedGpuMemory >> 20, container);
            }
        } else report("compute processes", code);
    }
    stackpilot_nvml_shutdown(nvml);
    stackpilot_nvml_close(nvml);
    return 0;
}
