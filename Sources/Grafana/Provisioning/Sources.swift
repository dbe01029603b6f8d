import Foundation
import JSONDocument
import Yams

extension Grafana {
    /// Where the desired state lives: the dashboards directory and Grafana's own file-provisioning
    /// files (stacks/grafana/provisioning/{datasources,alerting}), so `provision` over the API and
    /// Grafana's file provisioning under plain `docker compose` read the very same definitions.
    public struct Sources: Sendable, Equatable {
        public var dashboardsDirectory: URL
        /// `datasources/*.yml` files in Grafana's provisioning format.
        public var datasourcesDirectory: URL?
        /// `alerting/*.yml` files in Grafana's provisioning format.
        public var alertingDirectory: URL?

        public init(dashboardsDirectory: URL, datasourcesDirectory: URL? = nil, alertingDirectory: URL? = nil) {
            self.dashboardsDirectory = dashboardsDirectory
            self.datasourcesDirectory = datasourcesDirectory
            self.alertingDirectory = alertingDirectory
        }

        /// The repository layout: `<root>/dashboards` and `<root>/stacks/grafana/provisioning/…`.
        public init(repositoryRoot root: URL) {
            let provisioning = root.appendingPathComponent("stacks/grafana/provisioning")
            self.init(
                dashboardsDirectory: root.appendingPathComponent("dashboards"),
                datasourcesDirectory: provisioning.appendingPathComponent("datasources"),
                alertingDirectory: provisioning.appendingPathComponent("alerting")
            )
        }
    }

    /// A folder the dashboards directory asks for.
    public struct FolderSpec: Sendable, Equatable {
        public var uid: String
        public var title: String
        /// Directory under dashboards/ ("" for the top level).
        public var directory: String
    }

    /// The folder the top-level files of dashboards/ go to (also the file provider's folder).
    public static let defaultFolder = FolderSpec(uid: "stackpilot", title: "StackPilot", directory: "")
    /// The name of the subdirectory that maps to Grafana's General folder (no folder).
    public static let generalDirectory = "General"

    /// One dashboard file.
    public struct DashboardSource: Sendable {
        public var path: String
        /// `nil` for Grafana's General folder.
        public var folder: FolderSpec?
        public var dashboard: DashboardJSON
    }

    /// One alert rule group from `alerting/*.yml`.
    public struct AlertGroupSpec: Sendable, Equatable {
        public var name: String
        public var folderTitle: String
        public var interval: String?
        public var rules: [JSONValue]
        public var path: String
    }

    /// Everything desired, loaded and validated before Grafana is contacted.
    public struct DesiredState: Sendable {
        public var datasources: [JSONValue]
        public var dashboards: [DashboardSource]
        public var dashboardFolders: [FolderSpec]
        public var alertGroups: [AlertGroupSpec]

        /// The uid of the Prometheus datasource the repository provisions (the stable default when
        /// the files name none): what dashboards are repaired to and what doctor checks.
        public var prometheusDatasourceUID: String {
            datasources.first { $0["type"]?.stringValue == "prometheus" }?["uid"]?.stringValue ?? Grafana.datasourceUID
        }
    }
}

extension Grafana.Sources {
    /// Loads and validates every source; any problem throws `.invalidSource` naming the file.
    public func load() throws(Grafana.ProvisionError) -> Grafana.DesiredState {
        let datasources = try datasourcesDirectory.map { directory throws(Grafana.ProvisionError) in try Self.loadDatasources(directory) } ?? []
        let alertGroups = try alertingDirectory.map { directory throws(Grafana.ProvisionError) in try Self.loadAlertGroups(directory) } ?? []
        let (dashboards, folders) = try Self.loadDashboards(dashboardsDirectory)
        return Grafana.DesiredState(datasources: datasources, dashboards: dashboards, dashboardFolders: folders, alertGroups: alertGroups)
    }

    static func yamlFiles(_ directory: URL) throws(Grafana.ProvisionError) -> [URL] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { ["yml", "yaml"].contains($0.pathExtension.lowercased()) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw .invalidSource(path: directory.path, reason: "cannot list directory: \(error.localizedDescription)")
        }
    }

    static func decodeYAML<T: Decodable>(_ type: T.Type, _ file: URL) throws(Grafana.ProvisionError) -> T {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw .invalidSource(path: file.path, reason: "cannot read file: \(error.localizedDescription)")
        }
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch let error as YamlError {
            throw .invalidSource(path: file.path, reason: "invalid YAML: \(error)")
        } catch let DecodingError.dataCorrupted(context) {
            if let underlying = context.underlyingError as? YamlError {
                throw .invalidSource(path: file.path, reason: "invalid YAML: \(underlying)")
            }
            throw .invalidSource(path: file.path, reason: "\(context.debugDescription) at \(Self.codingPath(context.codingPath))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidSource(path: file.path, reason: "missing \"\(key.stringValue)\" at \(Self.codingPath(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidSource(path: file.path, reason: "\(context.debugDescription) at \(Self.codingPath(context.codingPath))")
        } catch {
            throw .invalidSource(path: file.path, reason: "\(error)")
        }
    }

    static func codingPath(_ path: [any CodingKey]) -> String {
        path.isEmpty
            ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    // MARK: datasources

    /// Keys of Grafana's datasource provisioning format that the HTTP API does not take.
    static let fileOnlyDatasourceKeys: Set<String> = ["orgId", "editable", "version"]

    static func loadDatasources(_ directory: URL) throws(Grafana.ProvisionError) -> [JSONValue] {
        struct File: Decodable { var datasources: [JSONValue]? }
        var result: [JSONValue] = []
        var seen: [String: String] = [:]
        for file in try yamlFiles(directory) {
            for (index, entry) in (try decodeYAML(File.self, file).datasources ?? []).enumerated() {
                guard var object = entry.objectValue else {
                    throw .invalidSource(path: file.path, reason: "datasources[\(index)] is not a mapping")
                }
                for key in ["name", "type", "uid"] where object[key]?.stringValue?.isEmpty ?? true {
                    throw .invalidSource(path: file.path, reason: "datasources[\(index)] has no \"\(key)\" (StackPilot upserts datasources by a stable uid)")
                }
                let uid = object["uid"]!.stringValue!
                if let other = seen[uid] {
                    throw .invalidSource(path: file.path, reason: "datasource uid \"\(uid)\" is also defined in \(other)")
                }
                seen[uid] = file.path
                for key in fileOnlyDatasourceKeys { object[key] = nil }
                result.append(.object(object))
            }
        }
        return result
    }

    // MARK: alert rules

    static func loadAlertGroups(_ directory: URL) throws(Grafana.ProvisionError) -> [Grafana.AlertGroupSpec] {
        struct Group: Decodable { var name: String; var folder: String; var interval: String?; var rules: [JSONValue]? }
        struct File: Decodable { var groups: [Group]? }
        var result: [Grafana.AlertGroupSpec] = []
        var seen: [String: String] = [:]
        for file in try yamlFiles(directory) {
            for group in try decodeYAML(File.self, file).groups ?? [] {
                var rules: [JSONValue] = []
                for (index, rule) in (group.rules ?? []).enumerated() {
                    guard let object = rule.objectValue else {
                        throw .invalidSource(path: file.path, reason: "group \"\(group.name)\" rules[\(index)] is not a mapping")
                    }
                    for key in ["uid", "title", "condition"] where object[key]?.stringValue?.isEmpty ?? true {
                        throw .invalidSource(path: file.path, reason: "group \"\(group.name)\" rules[\(index)] has no \"\(key)\"")
                    }
                    guard let data = object["data"]?.arrayValue, !data.isEmpty else {
                        throw .invalidSource(path: file.path, reason: "rule \"\(object["uid"]!.stringValue!)\" has no queries (\"data\")")
                    }
                    let refIds = data.compactMap { $0["refId"]?.stringValue }
                    let condition = object["condition"]!.stringValue!
                    guard refIds.contains(condition) else {
                        throw .invalidSource(
                            path: file.path,
                            reason:
                                "rule \"\(object["uid"]!.stringValue!)\" has condition \(condition), but no query with that refId (\(refIds.joined(separator: ", ")))"
                        )
                    }
                    let uid = object["uid"]!.stringValue!
                    if let other = seen[uid] {
                        throw .invalidSource(path: file.path, reason: "alert rule uid \"\(uid)\" is also defined in \(other)")
                    }
                    seen[uid] = file.path
                    rules.append(rule)
                }
                result.append(Grafana.AlertGroupSpec(name: group.name, folderTitle: group.folder, interval: group.interval, rules: rules, path: file.path))
            }
        }
        return result
    }

    // MARK: dashboards

    static func loadDashboards(_ directory: URL) throws(Grafana.ProvisionError) -> ([Grafana.DashboardSource], [Grafana.FolderSpec]) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidSource(path: directory.path, reason: "the dashboards directory does not exist")
        }
        var dashboards: [Grafana.DashboardSource] = []
        var folders: [Grafana.FolderSpec] = []
        var seen: [String: String] = [:]

        func add(_ file: URL, folder: Grafana.FolderSpec?) throws(Grafana.ProvisionError) {
            guard let data = manager.contents(atPath: file.path) else {
                throw .invalidSource(path: file.path, reason: "cannot read file")
            }
            let dashboard: Grafana.DashboardJSON
            do {
                dashboard = try Grafana.DashboardJSON(data: data, source: file.path)
            } catch let error as JSONDocument.ParseError {
                throw .invalidSource(path: file.path, reason: "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
            } catch {
                throw .invalidSource(path: file.path, reason: "\(error)")
            }
            guard let uid = dashboard.uid, !uid.isEmpty else {
                throw .invalidSource(
                    path: file.path, reason: "the dashboard has no \"uid\"; give it a stable uid (at most 40 characters) so it can be updated in place")
            }
            guard uid.count <= 40 else {
                throw .invalidSource(path: file.path, reason: "dashboard uid \"\(uid)\" is longer than Grafana's 40 characters")
            }
            if let other = seen[uid] {
                throw .invalidSource(path: file.path, reason: "dashboard uid \"\(uid)\" is also used by \(other)")
            }
            seen[uid] = file.path
            dashboards.append(Grafana.DashboardSource(path: file.path, folder: folder, dashboard: dashboard))
        }

        let entries: [URL]
        do {
            entries = try manager.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isDirectoryKey])
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw .invalidSource(path: directory.path, reason: "cannot list directory: \(error.localizedDescription)")
        }
        var topLevel: [URL] = []
        var subdirectories: [URL] = []
        for entry in entries where !entry.lastPathComponent.hasPrefix(".") {
            var entryIsDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: entry.path, isDirectory: &entryIsDirectory)
            if entryIsDirectory.boolValue { subdirectories.append(entry) } else if entry.pathExtension.lowercased() == "json" { topLevel.append(entry) }
        }
        if !topLevel.isEmpty { folders.append(Grafana.defaultFolder) }
        for file in topLevel { try add(file, folder: Grafana.defaultFolder) }
        for subdirectory in subdirectories {
            let name = subdirectory.lastPathComponent
            let folder: Grafana.FolderSpec? =
                name == Grafana.generalDirectory ? nil : Grafana.FolderSpec(uid: Grafana.folderUID(forTitle: name), title: name, directory: name)
            let files: [URL]
            do {
                files = try manager.contentsOfDirectory(at: subdirectory, includingPropertiesForKeys: nil)
                    .filter { $0.pathExtension.lowercased() == "json" }
                    .sorted { $0.lastPathComponent < $1.lastPathComponent }
            } catch {
                throw .invalidSource(path: subdirectory.path, reason: "cannot list directory: \(error.localizedDescription)")
            }
            guard !files.isEmpty else { continue }
            if let folder {
                if let clash = folders.first(where: { $0.uid == folder.uid }) {
                    throw .invalidSource(
                        path: subdirectory.path,
                        reason: "folder \"\(name)\" maps to the same Grafana folder uid \"\(folder.uid)\" as \"\(clash.title)\"; rename one of the directories")
                }
                folders.append(folder)
            }
            for file in files { try add(file, folder: folder) }
        }
        return (dashboards, folders)
    }
}

extension Grafana {
    /// Lower-case slug: letters and digits kept, every other run becomes one `-`.
    public static func slug(_ title: String) -> String {
        var result = ""
        var pendingDash = false
        for scalar in title.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII {
                if pendingDash && !result.isEmpty { result.append("-") }
                pendingDash = false
                result.unicodeScalars.append(scalar)
            } else {
                pendingDash = true
            }
        }
        return result.isEmpty ? "dashboard" : result
    }

    /// The stable uid StackPilot gives the folder for a dashboards/ subdirectory or an alert folder.
    public static func folderUID(forTitle title: String) -> String {
        String(slug(title).prefix(40))
    }
}
