import Foundation
import Logging
import ServiceLifecycle

/// Calls `onChange` when the files under a directory change (added, removed, modified), by
/// comparing a listing of paths, sizes and modification times every `interval`. Polling keeps it
/// portable and cheap for a folder of dashboards; no change means no work beyond one listing.
public final class DirectoryWatcher: Service, Sendable {
    private let directory: String
    private let interval: Duration
    private let logger: Logger
    private let onChange: @Sendable () async -> Void

    public init(directory: String, interval: Duration, logger: Logger, onChange: @escaping @Sendable () async -> Void) {
        self.directory = directory
        self.interval = interval
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        var last = Self.fingerprint(directory)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            let now = Self.fingerprint(directory)
            if now != last {
                logger.info("dashboards changed; provisioning Grafana", metadata: ["directory": "\(directory)"])
                last = now
                await onChange()
            }
        }
    }

    /// Path, size and modification time of every regular file under `directory`, sorted.
    static func fingerprint(_ directory: String) -> [String] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: directory) else { return [] }
        var entries: [String] = []
        for case let relative as String in enumerator {
            let path = (directory as NSString).appendingPathComponent(relative)
            guard let attributes = try? manager.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries.append("\(relative)|\(size)|\(modified)")
        }
        return entries.sorted()
    }
}
