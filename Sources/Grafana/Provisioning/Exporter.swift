import Foundation
import Logging

extension Grafana {
    /// Writes Grafana's dashboards into the dashboards directory for version control.
    ///
    /// Each dashboard goes to `<dir>/<folder>/<slug>.json` (the StackPilot folder maps to the top
    /// level, Grafana's General folder to `General/`), or over the file that already holds its uid.
    /// id and version are dropped, Grafana's key order is kept, 2-space indent, trailing newline: a
    /// second export with nothing changed rewrites byte-identical files (and reports them unchanged).
    public struct Exporter: Sendable {
        public let client: Client
        public var healthTimeout: Duration

        public init(client: Client, healthTimeout: Duration = .seconds(60)) {
            self.client = client
            self.healthTimeout = healthTimeout
        }

        public struct Report: Sendable, Codable, Equatable {
            public enum Action: String, Sendable, Codable { case created, updated, unchanged }
            public struct Item: Sendable, Codable, Equatable {
                public var uid: String
                public var title: String
                public var path: String
                public var action: Action
            }
            public var grafanaURL: String
            public var items: [Item]
        }

        /// Exports the dashboards with the given uids, or every dashboard when `uids` is nil.
        public func export(uids: [String]?, into directory: URL) async throws -> Report {
            _ = try await client.waitUntilHealthy(timeout: healthTimeout)
            try await client.verifyCredentials()
            let wanted: [String]
            if let uids {
                wanted = uids
            } else {
                wanted = try await client.searchDashboards().map(\.uid)
            }
            // Fetch everything first: a missing uid fails the export before any file is written.
            var dashboards: [StoredDashboard] = []
            for uid in wanted {
                guard let stored = try await client.dashboard(uid: uid) else {
                    throw ProvisionError.dashboardNotFound(uid: uid, url: client.url)
                }
                dashboards.append(stored)
            }
            let existing = Self.filesByUID(in: directory)
            var report = Report(grafanaURL: client.url, items: [])
            for stored in dashboards {
                let uid = stored.dashboard.uid ?? ""
                let file = existing[uid] ?? Self.defaultPath(for: stored, in: directory)
                let data = stored.dashboard.exported()
                let previous = FileManager.default.contents(atPath: file.path)
                let action: Report.Action = previous == nil ? .created : (previous == data ? .unchanged : .updated)
                if action != .unchanged {
                    do {
                        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try data.write(to: file, options: .atomic)
                    } catch {
                        throw ProvisionError.invalidSource(path: file.path, reason: "cannot write the dashboard: \(error.localizedDescription)")
                    }
                }
                report.items.append(.init(uid: uid, title: stored.dashboard.title, path: file.path, action: action))
            }
            return report
        }

        /// `<dir>/<slug>.json` for the StackPilot folder, `<dir>/General/…` for no folder, else
        /// `<dir>/<folder title>/<slug>.json`.
        static func defaultPath(for stored: StoredDashboard, in directory: URL) -> URL {
            let name = Grafana.slug(stored.dashboard.title) + ".json"
            let folderUid = stored.meta.folderUid ?? ""
            if folderUid == Grafana.defaultFolder.uid { return directory.appendingPathComponent(name) }
            if folderUid.isEmpty { return directory.appendingPathComponent(Grafana.generalDirectory).appendingPathComponent(name) }
            let title = (stored.meta.folderTitle ?? folderUid).replacingOccurrences(of: "/", with: "-")
            return directory.appendingPathComponent(title).appendingPathComponent(name)
        }

        /// Files already in the dashboards directory (top level and one level down), by dashboard uid.
        static func filesByUID(in directory: URL) -> [String: URL] {
            var result: [String: URL] = [:]
            let manager = FileManager.default
            var candidates: [URL] = []
            for entry in (try? manager.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [] {
                var isDirectory: ObjCBool = false
                _ = manager.fileExists(atPath: entry.path, isDirectory: &isDirectory)
                if isDirectory.boolValue {
                    candidates += ((try? manager.contentsOfDirectory(at: entry, includingPropertiesForKeys: nil)) ?? []).filter { $0.pathExtension == "json" }
                } else if entry.pathExtension == "json" {
                    candidates.append(entry)
                }
            }
            for file in candidates.sorted(by: { $0.path < $1.path }) {
                guard let data = manager.contents(atPath: file.path), let dashboard = try? DashboardJSON(data: data), let uid = dashboard.uid else { continue }
                if result[uid] == nil { result[uid] = file }
            }
            return result
        }
    }
}
