// A stand-in libnvidia-ml.so.1 for `scripts/gpu-check --self-test` on machines without a GPU:
// two Tesla T4s with recorded values, written against nvml.h's declarations (not CNVML.h), so
// the self-test checks that the loader's layouts and the library's agree. Not a test of NVIDIA's
// library: only a GPU host does that.
#include <string.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct nvmlMemory_st { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct nvmlUtilization_st { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct nvmlProcessInfo_v2_st {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;

static struct nvmlDevice_st { int index; } devices[2] = {{0}, {1}};
static int initialised;
#define MIB (1ULL << 20)

nvmlReturn_t nvmlInit_v2(void) { initialised = 1; return 0; }
nvmlReturn_t nvmlShutdown(void) { initialised = 0; return 0; }
const char *nvmlErrorString(nvmlReturn_t result) { return result == 3 ? "Not Supported" : result == 2 ? "Invalid Argument" : "Unknown Error"; }
nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) { strncpy(version, "535.161.08", length); return 0; }
nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) { strncpy(version, "12.535.161.08", length); return 0; }
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) { *count = initialised ? 2 : 0; return initialised ? 0 : 1; }
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (index > 1) return 2;
    *device = &devices[index];
    return 0;
}
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) { (void)device; strncpy(name, "Tesla T4", length); return 0; }
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    strncpy(uuid, device->index == 0 ? "GPU-0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6" : "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0", length);
    return 0;
}
nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minor) { *minor = (unsigned int)device->index; return 0; }
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    memory->total = 15360 * MIB;
    memory->free = device->index == 0 ? 14923 * MIB : 1012 * MIB;
    memory->used = memory->total - memory->free;
    return 0;
}
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *rates) {
    rates->gpu = device->index == 0 ? 0 : 96;
    rates->memory = device->index == 0 ? 0 : 70;
    return 0;
}
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp) { *temp = sensor == 0 ? (device->index == 0 ? 33 : 74) : 0; return sensor == 0 ? 0 : 2; }
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) { *power = device->index == 0 ? 9874 : 69412; return 0; }
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *count, nvmlProcessInfo_t *infos) {
    unsigned int have = device->index == 0 ? 0 : 2;
    if (*count < have) { *count = have; return 7; }
    *count = have;
    if (have) {
        infos[0] = (nvmlProcessInfo_t){ .pid = 1, .usedGpuMemory = 9000 * MIB, .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF };
        infos[1] = (nvmlProcessInfo_t){ .pid = 2, .usedGpuMemory = ~0ULL, .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF };
    }
    return 0;
}
nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current, unsigned int *pending) { (void)device; (void)current; (void)pending; return 3; }
nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, int type, int counter, unsigned long long *count) { (void)type; (void)counter; *count = device->index == 1 ? 0 : 0; return 0; }
