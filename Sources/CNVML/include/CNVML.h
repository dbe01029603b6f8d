// NVML (libnvidia-ml.so.1) loaded at run time with dlopen: no link-time dependency, so the same
// binary runs on hosts without an NVIDIA driver and says "not available" there.
//
// The structs below repeat the layouts of NVIDIA's nvml.h (NVML API version 10 to 13) for the
// few calls StackPilot makes; shims.c checks their sizes at compile time. Each wrapper returns
// NVML's own nvmlReturn_t value (0 = NVML_SUCCESS); a symbol the loaded library does not export
// returns NVML_ERROR_FUNCTION_NOT_FOUND (13), as NVML itself does for functions it lacks.
// Device calls take the device index and look its handle up (nvmlDeviceGetHandleByIndex_v2).
//
// Shared by the Swift GPU module and by scripts/gpu-check's C program.
#ifndef STACKPILOT_CNVML_H
#define STACKPILOT_CNVML_H

#if !defined(__clang__)
// gcc (scripts/gpu-check on a machine without clang) has no nullability qualifiers.
#define _Nonnull
#define _Nullable
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// nvmlMemory_t (nvmlDeviceGetMemoryInfo): bytes.
typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} stackpilot_nvml_memory;

/// nvmlUtilization_t (nvmlDeviceGetUtilizationRates): percent over the last sample period.
typedef struct {
    unsigned int gpu;
    unsigned int memory;
} stackpilot_nvml_utilization;

/// nvmlProcessInfo_t as filled by nvmlDeviceGetComputeRunningProcesses_v3 (nvmlProcessInfo_v2_t):
/// 24 bytes, with padding after pid. usedGpuMemory is NVML_VALUE_NOT_AVAILABLE (all ones) when
/// the driver cannot say (MIG, WDDM).
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} stackpilot_nvml_process;

/// The loaded library and its function table (opaque).
typedef struct stackpilot_nvml stackpilot_nvml;

enum {
    STACKPILOT_NVML_SUCCESS = 0,
    STACKPILOT_NVML_ERROR_NOT_SUPPORTED = 3,
    STACKPILOT_NVML_ERROR_INSUFFICIENT_SIZE = 7,
    STACKPILOT_NVML_ERROR_FUNCTION_NOT_FOUND = 13,
};

/// dlopen()s `path` (e.g. "libnvidia-ml.so.1") and resolves the required symbols (nvmlInit_v2,
/// nvmlShutdown, nvmlErrorString, nvmlDeviceGetCount_v2, nvmlDeviceGetHandleByIndex_v2).
/// NULL on failure, with dlerror()'s text or the missing symbol in `error`. Does not call nvmlInit.
stackpilot_nvml *_Nullable stackpilot_nvml_open(const char *_Nonnull path, char *_Nonnull error, unsigned int error_length);
/// dlclose()s the library and frees the table. Call stackpilot_nvml_shutdown first if initialised.
void stackpilot_nvml_close(stackpilot_nvml *_Nonnull nvml);

int stackpilot_nvml_init(stackpilot_nvml *_Nonnull nvml);
int stackpilot_nvml_shutdown(stackpilot_nvml *_Nonnull nvml);
/// nvmlErrorString: NVML's static description of a return code (never NULL here).
const char *_Nonnull stackpilot_nvml_error_string(stackpilot_nvml *_Nonnull nvml, int code);

int stackpilot_nvml_driver_version(stackpilot_nvml *_Nonnull nvml, char *_Nonnull buffer, unsigned int length);
int stackpilot_nvml_nvml_version(stackpilot_nvml *_Nonnull nvml, char *_Nonnull buffer, unsigned int length);
int stackpilot_nvml_device_count(stackpilot_nvml *_Nonnull nvml, unsigned int *_Nonnull count);

int stackpilot_nvml_device_name(stackpilot_nvml *_Nonnull nvml, unsigned int index, char *_Nonnull buffer, unsigned int length);
int stackpilot_nvml_device_uuid(stackpilot_nvml *_Nonnull nvml, unsigned int index, char *_Nonnull buffer, unsigned int length);
int stackpilot_nvml_device_minor_number(stackpilot_nvml *_Nonnull nvml, unsigned int index, unsigned int *_Nonnull minor);
int stackpilot_nvml_device_memory(stackpilot_nvml *_Nonnull nvml, unsigned int index, stackpilot_nvml_memory *_Nonnull memory);
int stackpilot_nvml_device_utilization(stackpilot_nvml *_Nonnull nvml, unsigned int index, stackpilot_nvml_utilization *_Nonnull utilization);
/// nvmlDeviceGetTemperature with NVML_TEMPERATURE_GPU (the die): degrees C.
int stackpilot_nvml_device_temperature(stackpilot_nvml *_Nonnull nvml, unsigned int index, unsigned int *_Nonnull celsius);
/// nvmlDeviceGetPowerUsage: milliwatts.
int stackpilot_nvml_device_power_usage(stackpilot_nvml *_Nonnull nvml, unsigned int index, unsigned int *_Nonnull milliwatts);
/// nvmlDeviceGetComputeRunningProcesses_v3: `count` in = capacity of `processes`, out = how many
/// there are (NVML_ERROR_INSUFFICIENT_SIZE when more than the capacity). `processes` may be NULL
/// with a capacity of 0 to ask for the count.
int stackpilot_nvml_device_compute_processes(stackpilot_nvml *_Nonnull nvml, unsigned int index, unsigned int *_Nonnull count, stackpilot_nvml_process *_Nullable processes);
/// nvmlDeviceGetMigMode: NVML_DEVICE_MIG_DISABLE (0) or NVML_DEVICE_MIG_ENABLE (1).
int stackpilot_nvml_device_mig_mode(stackpilot_nvml *_Nonnull nvml, unsigned int index, unsigned int *_Nonnull current, unsigned int *_Nonnull pending);
/// nvmlDeviceGetTotalEccErrors(NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC or NVML_AGGREGATE_ECC).
int stackpilot_nvml_device_uncorrected_ecc_errors(stackpilot_nvml *_Nonnull nvml, unsigned int index, int aggregate, unsigned long long *_Nonnull count);

#ifdef __cplusplus
}
#endif

#endif
