#include "CNVML.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The layouts of nvml.h (see CNVML.h); a mismatch here would corrupt memory at run time.
_Static_assert(sizeof(stackpilot_nvml_memory) == 24, "nvmlMemory_t is 3 x unsigned long long");
_Static_assert(sizeof(stackpilot_nvml_utilization) == 8, "nvmlUtilization_t is 2 x unsigned int");
_Static_assert(sizeof(stackpilot_nvml_process) == 24, "nvmlProcessInfo_v2_t is 24 bytes");
_Static_assert(offsetof(stackpilot_nvml_process, usedGpuMemory) == 8, "usedGpuMemory follows pid and padding");
_Static_assert(offsetof(stackpilot_nvml_process, gpuInstanceId) == 16, "gpuInstanceId at 16");

// nvml.h's types, as far as the calls below need them.
typedef int nvml_return;                  // nvmlReturn_t (an enum)
typedef struct nvml_device_st *nvml_device; // nvmlDevice_t

struct stackpilot_nvml {
    void *library;
    nvml_return (*init_v2)(void);
    nvml_return (*shutdown)(void);
    const char *(*error_string)(nvml_return);
    nvml_return (*system_get_driver_version)(char *, unsigned int);
    nvml_return (*system_get_nvml_version)(char *, unsigned int);
    nvml_return (*device_get_count_v2)(unsigned int *);
    nvml_return (*device_get_handle_by_index_v2)(unsigned int, nvml_device *);
    nvml_return (*device_get_name)(nvml_device, char *, unsigned int);
    nvml_return (*device_get_uuid)(nvml_device, char *, unsigned int);
    nvml_return (*device_get_minor_number)(nvml_device, unsigned int *);
    nvml_return (*device_get_memory_info)(nvml_device, stackpilot_nvml_memory *);
    nvml_return (*device_get_utilization_rates)(nvml_device, stackpilot_nvml_utilization *);
    nvml_return (*device_get_temperature)(nvml_device, int, unsigned int *);   // nvmlTemperatureSensors_t
    nvml_return (*device_get_power_usage)(nvml_device, unsigned int *);
    nvml_return (*device_get_compute_running_processes_v3)(nvml_device, unsigned int *, stackpilot_nvml_process *);
    nvml_return (*device_get_mig_mode)(nvml_device, unsigned int *, unsigned int *);
    nvml_return (*device_get_total_ecc_errors)(nvml_device, int, int, unsigned long long *); // nvmlMemoryErrorType_t, nvmlEccCounterType_t
};

enum {
    NVML_TEMPERATURE_GPU = 0,
    NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1,
    NVML_VOLATILE_ECC = 0,
    NVML_AGGREGATE_ECC = 1,
};

#define RESOLVE(field, symbol) (*(void **)(&nvml->field) = dlsym(library, symbol))

stackpilot_nvml *stackpilot_nvml_open(const char *path, char *error, unsigned int error_length) {
    if (error_length > 0) error[0] = 0;
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_length, "%s", reason ? reason : "dlopen failed");
        return NULL;
    }
    stackpilot_nvml *nvml = calloc(1, sizeof(stackpilot_nvml));
    if (nvml == NULL) {
        dlclose(library);
        snprintf(error, error_length, "out of memory");
        return NULL;
    }
    nvml->library = library;
    const char *missing = NULL;
    if (!RESOLVE(init_v2, "nvmlInit_v2")) missing = "nvmlInit_v2";
    else if (!RESOLVE(shutdown, "nvmlShutdown")) missing = "nvmlShutdown";
    else if (!RESOLVE(error_string, "nvmlErrorString")) missing = "nvmlErrorString";
    else if (!RESOLVE(device_get_count_v2, "nvmlDeviceGetCount_v2")) missing = "nvmlDeviceGetCount_v2";
    else if (!RESOLVE(device_get_handle_by_index_v2, "nvmlDeviceGetHandleByIndex_v2")) missing = "nvmlDeviceGetHandleByIndex_v2";
    if (missing != NULL) {
        snprintf(error, error_length, "%s: no symbol %s (an NVML older than driver 418?)", path, missing);
        dlclose(library);
        free(nvml);
        return NULL;
    }
    // Optional: a library without them answers NVML_ERROR_FUNCTION_NOT_FOUND for that call only.
    RESOLVE(system_get_driver_version, "nvmlSystemGetDriverVersion");
    RESOLVE(system_get_nvml_version, "nvmlSystemGetNVMLVersion");
    RESOLVE(device_get_name, "nvmlDeviceGetName");
    RESOLVE(device_get_uuid, "nvmlDeviceGetUUID");
    RESOLVE(device_get_minor_number, "nvmlDeviceGetMinorNumber");
    RESOLVE(device_get_memory_info, "nvmlDeviceGetMemoryInfo");
    RESOLVE(device_get_utilization_rates, "nvmlDeviceGetUtilizationRates");
    RESOLVE(device_get_temperature, "nvmlDeviceGetTemperature");
    RESOLVE(device_get_power_usage, "nvmlDeviceGetPowerUsage");
    RESOLVE(device_get_compute_running_processes_v3, "nvmlDeviceGetComputeRunningProcesses_v3");
    RESOLVE(device_get_mig_mode, "nvmlDeviceGetMigMode");
    RESOLVE(device_get_total_ecc_errors, "nvmlDeviceGetTotalEccErrors");
    return nvml;
}

void stackpilot_nvml_close(stackpilot_nvml *nvml) {
    dlclose(nvml->library);
    free(nvml);
}

int stackpilot_nvml_init(stackpilot_nvml *nvml) { return nvml->init_v2(); }
int stackpilot_nvml_shutdown(stackpilot_nvml *nvml) { return nvml->shutdown(); }

const char *stackpilot_nvml_error_string(stackpilot_nvml *nvml, int code) {
    const char *text = nvml->error_string(code);
    return text ? text : "unknown NVML error";
}

#define CALL(field, ...) \
    (nvml->field == NULL ? STACKPILOT_NVML_ERROR_FUNCTION_NOT_FOUND : nvml->field(__VA_ARGS__))

int stackpilot_nvml_driver_version(stackpilot_nvml *nvml, char *buffer, unsigned int length) {
    return CALL(system_get_driver_version, buffer, length);
}

int stackpilot_nvml_nvml_version(stackpilot_nvml *nvml, char *buffer, unsigned int length) {
    return CALL(system_get_nvml_version, buffer, length);
}

int stackpilot_nvml_device_count(stackpilot_nvml *nvml, unsigned int *count) {
    return nvml->device_get_count_v2(count);
}

// Looks the handle up, then makes the call; the first failure is the answer.
#define DEVICE_CALL(field, ...) do { \
        if (nvml->field == NULL) return STACKPILOT_NVML_ERROR_FUNCTION_NOT_FOUND; \
        nvml_device device = NULL; \
        int found = nvml->device_get_handle_by_index_v2(index, &device); \
        if (found != STACKPILOT_NVML_SUCCESS) return found; \
        return nvml->field(device, __VA_ARGS__); \
    } while (0)

int stackpilot_nvml_device_name(stackpilot_nvml *nvml, unsigned int index, char *buffer, unsigned int length) {
    DEVICE_CALL(device_get_name, buffer, length);
}

int stackpilot_nvml_device_uuid(stackpilot_nvml *nvml, unsigned int index, char *buffer, unsigned int length) {
    DEVICE_CALL(device_get_uuid, buffer, length);
}

int stackpilot_nvml_device_minor_number(stackpilot_nvml *nvml, unsigned int index, unsigned int *minor) {
    DEVICE_CALL(device_get_minor_number, minor);
}

int stackpilot_nvml_device_memory(stackpilot_nvml *nvml, unsigned int index, stackpilot_nvml_memory *memory) {
    DEVICE_CALL(device_get_memory_info, memory);
}

int stackpilot_nvml_device_utilization(stackpilot_nvml *nvml, unsigned int index, stackpilot_nvml_utilization *utilization) {
    DEVICE_CALL(device_get_utilization_rates, utilization);
}

int stackpilot_nvml_device_temperature(stackpilot_nvml *nvml, unsigned int index, unsigned int *celsius) {
    DEVICE_CALL(device_get_temperature, NVML_TEMPERATURE_GPU, celsius);
}

int stackpilot_nvml_device_power_usage(stackpilot_nvml *nvml, unsigned int index, unsigned int *milliwatts) {
    DEVICE_CALL(device_get_power_usage, milliwatts);
}

int stackpilot_nvml_device_compute_processes(stackpilot_nvml *nvml, unsigned int index, unsigned int *count, stackpilot_nvml_process *processes) {
    DEVICE_CALL(device_get_compute_running_processes_v3, count, processes);
}

int stackpilot_nvml_device_mig_mode(stackpilot_nvml *nvml, unsigned int index, unsigned int *current, unsigned int *pending) {
    DEVICE_CALL(device_get_mig_mode, current, pending);
}

int stackpilot_nvml_device_uncorrected_ecc_errors(stackpilot_nvml *nvml, unsigned int index, int aggregate, unsigned long long *count) {
    DEVICE_CALL(device_get_total_ecc_errors, NVML_MEMORY_ERROR_TYPE_UNCORRECTED, aggregate ? NVML_AGGREGATE_ECC : NVML_VOLATILE_ECC, count);
}
