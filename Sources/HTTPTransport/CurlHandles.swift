import CCurl
import CStackPilotShims

/// `curl_global_init` runs exactly once per process (a global `let` is initialised lazily and atomically).
private let curlGlobalInitResult: Int32 = Int32(bitPattern: curl_global_init(Int(CURL_GLOBAL_ALL)).rawValue)

func ensureCurlGlobalInit() -> Bool { curlGlobalInitResult == 0 }

/// Owns one `CURL *`; frees it in `deinit`. Used only on the transport's curl thread.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
    }

    deinit { curl_easy_cleanup(raw) }

    func set(_ option: CURLoption, _ value: Int) -> CURLcode {
        sp_curl_easy_setopt_long(raw, option, value)
    }

    func set(_ option: CURLoption, _ value: String) -> CURLcode {
        // libcurl copies string options (since 7.17), so a temporary C string is fine.
        value.withCString { sp_curl_easy_setopt_string(raw, option, $0) }
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) -> CURLcode {
        sp_curl_easy_setopt_pointer(raw, option, pointer)
    }
}

/// Owns one `curl_slist`; frees it in `deinit`.
final class StringList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init() {}

    /// Appends a line; false when libcurl could not allocate.
    func append(_ line: String) -> Bool {
        guard let next = curl_slist_append(raw, line) else { return false }
        raw = next
        return true
    }

    deinit { curl_slist_free_all(raw) }
}

/// Owns one `CURLM *`; frees it in `deinit`.
///
/// @unchecked Sendable: the handle is driven only by the transport's own thread; the one call made
/// from other threads, `curl_multi_wakeup`, is documented by libcurl as safe to call from any thread.
final class MultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard ensureCurlGlobalInit(), let raw = curl_multi_init() else { return nil }
        self.raw = raw
    }

    deinit { curl_multi_cleanup(raw) }

    func wakeup() { _ = curl_multi_wakeup(raw) }
}
