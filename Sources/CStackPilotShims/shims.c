#include "CStackPilotShims.h"

CURLcode sp_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode sp_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode sp_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode sp_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode sp_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode sp_curl_easy_setopt_write_callback(CURL *handle, sp_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode sp_curl_easy_setopt_header_callback(CURL *handle, sp_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}
CURLcode sp_curl_easy_setopt_read_callback(CURL *handle, sp_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}
CURLcode sp_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode sp_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLMcode sp_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

void sp_json_incref(json_t *json) { json_incref(json); }
void sp_json_decref(json_t *json) { json_decref(json); }
json_type sp_json_typeof(const json_t *json) { return json_typeof(json); }
int sp_json_dumps_flags(int indent, int preserve_order, int sort_keys, int compact) {
    int flags = JSON_INDENT(indent);
    if (preserve_order) flags |= JSON_PRESERVE_ORDER;
    if (sort_keys) flags |= JSON_SORT_KEYS;
    if (compact) flags |= JSON_COMPACT;
    return flags;
}
size_t sp_json_refcount(const json_t *json) { return __atomic_load_n(&json->refcount, __ATOMIC_ACQUIRE); }
