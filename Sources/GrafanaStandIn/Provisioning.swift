import Durations
import Foundation
import JSONDocument
import Logging
import Yams

/// Reads Grafana's provisioning directory at start, the way Grafana 11 does:
/// `datasources/*.yaml|yml` (deleteDatasources first, then datasources upserted by name),
/// `dashboards/*.yaml|yml` providers of `type: file` whose JSON dashboards are loaded, and
/// `alerting/*.yaml|yml` rule groups (`groups`, `deleteRules`). Other kinds (plugins, notifiers,
/// contact points, policies) are logged and skipped.
struct Provisioner {
    /// The directory Grafana's image uses; provider paths under it are read from `root` instead,
    /// so the unmodified files of a compose stack work when its provisioning folder is given.
    static let containerRoot = "/etc/grafana/provisioning"

    let root: String
    let environment: [String: String]
    let state: GrafanaState
    let logger: Logger

    func run() async throws(StandInError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            logger.warning("provisioning directory \(root) does not exist; nothing provisioned")
            return
        }
        await state.setProvisioningSource(root: root, environment: environment)
        try await datasources()
        try await dashboards()
        try await alerting()
    }

    /// `POST /api/admin/provisioning/<kind>/reload`: reads that kind's files again.
    func reload(_ kind: String) async throws(StandInError) {
        switch kind {
        case "datasources": try await datasources()
        case "dashboards": try await dashboards()
        default: try await alerting()
        }
    }

    // MARK: - Files

    private func yamlFiles(in kind: String) -> [String] {
        let directory = (root as NSString).appendingPathComponent(kind)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Parses one YAML file and interpolates `$VAR`, `${VAR}` (and `$$` for a literal `$`) in its
    /// string values, as Grafana does for provisioning files, except under the keys in `rawKeys`
    /// (alert rule `annotations`, which Grafana keeps raw for `{{ $labels.x }}` templates).
    private func load(_ file: String, rawKeys: Set<String> = []) throws(StandInError) -> JSONValue {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw .provisioning(file: file, reason: "cannot be read: \(error.localizedDescription)")
        }
        let parsed: Any?
        do { parsed = try Yams.load(yaml: text) } catch let error as YamlError {
            throw .provisioning(file: file, reason: yamlReason(error))
        } catch {
            throw .provisioning(file: file, reason: "\(error)")
        }
        return interpolate(JSONValue(any: parsed), rawKeys: rawKeys)
    }

    private func yamlReason(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)\(context.map { " (\($0.text))" } ?? "")"
        default:
            return "\(error)"
        }
    }

    private func interpolate(_ value: JSONValue, rawKeys: Set<String>) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(expand(text))
        case .array(let items):
            return .array(items.map { interpolate($0, rawKeys: rawKeys) })
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members { result[key] = rawKeys.contains(key) ? member : interpolate(member, rawKeys: rawKeys) }
            return .object(result)
        default:
            return value
        }
    }

    func expand(_ text: String) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else { result.append(character); index = text.index(after: index); continue }
            let next = text.index(after: index)
            if next < text.endIndex, text[next] == "$" { result.append("$"); index = text.index(after: next); continue }
            if next < text.endIndex, text[next] == "{", let close = text[next...].firstIndex(of: "}") {
                let name = String(text[text.index(after: next)..<close])
                result += environment[name] ?? ""
                index = text.index(after: close)
                continue
            }
            var end = next
            while end < text.endIndex, text[end].isLetter || text[end].isNumber || text[end] == "_" { end = text.index(after: end) }
            if end == next { result.append("$"); index = next; continue }
            result += environment[String(text[next..<end])] ?? ""
            index = end
        }
        return result
    }

    /// A provider path as written in the file, moved under `root` when it points into the image's
    /// provisioning directory.
    func resolve(_ path: String, relativeTo file: String) -> String {
        if path == Self.containerRoot || path.hasPrefix(Self.containerRoot + "/") {
            let mapped = root + path.dropFirst(Self.containerRoot.count)
            if FileManager.default.fileExists(atPath: mapped) { return mapped }
        }
        if path.hasPrefix("/") { return path }
        return ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
    }

    // MARK: - Datasources

    private func datasources() async throws(StandInError) {
        var documents: [(String, [String: JSONValue])] = []
        for file in yamlFiles(in: "datasources") {
            guard let document = try load(file).objectValue else {
                throw .provisioning(file: file, reason: "expected a mapping with apiVersion and datasources")
            }
            documents.append((file, document))
        }
        // Grafana applies every file's deleteDatasources before any datasources.
        for (file, document) in documents {
            for entry in document["deleteDatasources"]?.arrayValue ?? [] {
                guard let name = entry["name"]?.stringValue, !name.isEmpty else {
                    throw .provisioning(file: file, reason: "deleteDatasources entry without a name")
                }
                await state.change { $0.deleteProvisionedDatasource(name: name) }
                logger.info("provisioning: deleted datasource", metadata: ["name": "\(name)", "file": "\(file)"])
            }
        }
        var defaults: [String] = []
        for (file, document) in documents {
            for entry in document["datasources"]?.arrayValue ?? [] {
                guard var fields = entry.objectValue else {
                    throw .provisioning(file: file, reason: "datasources entries must be mappings")
                }
                guard let name = fields["name"]?.stringValue, !name.isEmpty else {
                    throw .provisioning(file: file, reason: "datasource without a name")
                }
                guard let type = fields["type"]?.stringValue, !type.isEmpty else {
                    throw .provisioning(file: file, reason: "datasource \(name) has no type")
                }
                _ = type
                if fields["isDefault"]?.boolValue == true { defaults.append(name) }
                if defaults.count > 1 {
                    throw .provisioning(file: file, reason: "datasource.yaml config is invalid. Only one datasource per organization can be marked as default")
                }
                // Empty YAML values (`password:`) are null: treat them as absent.
                fields = fields.filter { $0.value != .null }
                let editable = fields["editable"]?.boolValue ?? false
                do {
                    _ = try await state.write { [fields] store throws(GrafanaAPIError) in try store.provisionDatasource(fields, editable: editable) }
                } catch {
                    throw .provisioning(file: file, reason: "datasource \(name): \(error.message)")
                }
                logger.info("provisioning: datasource", metadata: ["name": "\(name)", "file": "\(file)"])
            }
        }
    }

    // MARK: - Dashboards

    /// A `type: file` dashboard provider (pkg/services/provisioning/dashboards/config_reader.go).
    struct DashboardProvider: Sendable, Equatable {
        var name: String
        var path: String
        var allowUiUpdates: Bool
        var disableDeletion: Bool
        var fromStructure: Bool
        var folderTitle: String
        var folderUid: String
        /// How often the files are read again; Grafana's default is 10 s.
        var updateInterval: Duration
    }

    /// The dashboard providers of `dashboards/*.yaml|yml`.
    func dashboardProviders() throws(StandInError) -> [DashboardProvider] {
        var providers: [DashboardProvider] = []
        for file in yamlFiles(in: "dashboards") {
            guard let document = try load(file).objectValue else {
                throw .provisioning(file: file, reason: "expected a mapping with apiVersion and providers")
            }
            for provider in document["providers"]?.arrayValue ?? [] {
                let name = provider["name"]?.stringValue ?? ""
                let type = provider["type"]?.stringValue ?? "file"
                guard type == "file" else {
                    logger.warning("provisioning: dashboard provider type \(type) is not supported; skipped", metadata: ["file": "\(file)"])
                    continue
                }
                guard let rawPath = provider["options"]?["path"]?.stringValue, !rawPath.isEmpty else {
                    throw .provisioning(file: file, reason: "dashboard provider \(name) has no options.path")
                }
                let fromStructure = provider["options"]?["foldersFromFilesStructure"]?.boolValue ?? false
                let folderTitle = provider["folder"]?.stringValue ?? ""
                let folderUid = provider["folderUid"]?.stringValue ?? ""
                if fromStructure && (!folderTitle.isEmpty || !folderUid.isEmpty) {
                    throw .provisioning(
                        file: file, reason: "dashboard provider \(name): 'folder' and 'folderUID' should be empty using 'foldersFromFilesStructure' option")
                }
                // config_reader.go: updateIntervalSeconds 0 or absent is 10.
                let seconds = provider["updateIntervalSeconds"]?.intValue ?? 0
                providers.append(
                    DashboardProvider(
                        name: name, path: resolve(rawPath, relativeTo: file), allowUiUpdates: provider["allowUiUpdates"]?.boolValue ?? false,
                        disableDeletion: provider["disableDeletion"]?.boolValue ?? false, fromStructure: fromStructure,
                        folderTitle: folderTitle, folderUid: folderUid, updateInterval: seconds > 0 ? .seconds(seconds) : .seconds(10)))
            }
        }
        return providers
    }

    private func dashboards() async throws(StandInError) {
        for provider in try dashboardProviders() { await loadDashboards(provider) }
    }

    /// Reads one provider's files as Grafana's file reader does on each `updateIntervalSeconds`
    /// (pkg/services/provisioning/dashboards/file_reader.go): a file whose checksum is unchanged is
    /// skipped, a new or changed one is saved (its version goes up), and the dashboard of a file
    /// that is gone is deleted, or with `disableDeletion` only unprovisioned (kept, editable).
    func loadDashboards(_ provider: DashboardProvider) async {
        let path = provider.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            // Grafana logs this and carries on.
            logger.error("provisioning: cannot read directory", metadata: ["provider": "\(provider.name)", "path": "\(path)"])
            return
        }
        var files: [String] = []
        if isDirectory.boolValue {
            let enumerator = FileManager.default.enumerator(atPath: path)
            while let relative = enumerator?.nextObject() as? String {
                if relative.hasSuffix(".json") { files.append(relative) }
            }
        } else {
            files = [(path as NSString).lastPathComponent]
        }
        let base = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let present = Set(files)
        let missing = await state.change { store in
            store.removeMissingProvisionedDashboards(provider: provider.name, present: present, keep: provider.disableDeletion)
        }
        for title in missing {
            logger.info(
                "provisioning: dashboard file is gone",
                metadata: [
                    "title": "\(title)", "provider": "\(provider.name)",
                    "action": "\(provider.disableDeletion ? "unprovisioned" : "deleted")",
                ])
        }
        for relative in files.sorted() {
            let file = (base as NSString).appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: file), var model = try? JSONDocument(parsing: data, source: file),
                model.kind == .object
            else {
                logger.error("provisioning: failed to load dashboard from file: not a JSON object", metadata: ["file": "\(file)"])
                continue
            }
            let checksum = fileChecksum(data)
            let stored = await state.read { store in
                store.dashboards.first { $0.provisioning?.provider == provider.name && $0.provisioning?.externalId == relative }?.provisioning
            }
            if stored?.checksum == checksum { continue }
            // Grafana drops the id of provisioned dashboards and gives uid-less ones a uid it keeps for
            // the file; here that uid is derived from provider and path, so it is stable across restarts.
            _ = try? model.remove(at: ["id"])
            if (model["uid"]?.string ?? "").isEmpty {
                _ = try? model.set(
                    JSONDocument("f" + provisionedDatasourceUID(name: provider.name + "/" + relative).dropFirst().lowercased().prefix(13)), at: ["uid"])
            }
            if model["__inputs"] != nil {
                logger.warning(
                    "provisioning: dashboard is in export format (__inputs); ${DS_...} placeholders are not replaced, as in Grafana",
                    metadata: ["file": "\(file)"])
            }
            let directory = (relative as NSString).deletingLastPathComponent
            let provisioning = DashboardProvisioning(
                provider: provider.name, externalId: relative, allowUiUpdates: provider.allowUiUpdates, checksum: checksum)
            do {
                try await state.write { [model] store throws(GrafanaAPIError) in
                    var targetFolder: String?
                    if provider.fromStructure && !directory.isEmpty {
                        targetFolder = store.ensureFolder(title: (directory as NSString).lastPathComponent, uid: nil).uid
                    } else if !provider.folderTitle.isEmpty || !provider.folderUid.isEmpty {
                        targetFolder = store.ensureFolder(title: provider.folderTitle, uid: provider.folderUid).uid
                    }
                    try store.provisionDashboard(model: model, folderUid: targetFolder, provisioning: provisioning)
                }
                logger.info("provisioning: dashboard", metadata: ["title": "\(model["title"]?.string ?? "")", "file": "\(file)"])
            } catch {
                logger.error("provisioning: dashboard not saved: \(error.message)", metadata: ["file": "\(file)"])
            }
        }
    }

    // MARK: - Alerting

    private func alerting() async throws(StandInError) {
        for file in yamlFiles(in: "alerting") {
            // Grafana keeps annotations (templates) and the queries' `model` (a free-form map, not one
            // of its interpolated value types; rules_types.go) raw, so `$__rate_interval` survives.
            guard let document = try load(file, rawKeys: ["annotations", "model"]).objectValue else {
                throw .provisioning(file: file, reason: "expected a mapping with apiVersion and groups")
            }
            for entry in document["deleteRules"]?.arrayValue ?? [] {
                if let uid = entry["uid"]?.stringValue { await state.change { $0.deleteProvisionedRule(uid: uid) } }
            }
            for group in document["groups"]?.arrayValue ?? [] {
                guard let name = group["name"]?.stringValue, !name.isEmpty else {
                    throw .provisioning(file: file, reason: "rule group without a name")
                }
                let folderTitle = group["folder"]?.stringValue ?? ""
                let folderUID = group["folderUID"]?.stringValue ?? group["folderUid"]?.stringValue ?? ""
                // rules_types.go: a group must name its folder by title (`folder`), whatever else it sets.
                guard !folderTitle.isEmpty else {
                    throw .provisioning(file: file, reason: "rule group \(name): no folder is set")
                }
                let intervalText = group["interval"]?.stringValue ?? group["interval"]?.intValue.map { "\($0)s" } ?? "60s"
                // Grafana: model.ParseDuration, then whole seconds.
                guard let interval = PrometheusDuration.parse(intervalText).map({ Int($0.components.seconds) }) else {
                    throw .provisioning(file: file, reason: "rule group \(name): invalid interval '\(intervalText)'")
                }
                let folder = await state.change { $0.ensureFolder(title: folderTitle, uid: folderUID) }
                let rules = (group["rules"]?.arrayValue ?? []).map { rule -> JSONValue in
                    guard var fields = rule.objectValue else { return rule }
                    // The file format spells datasource uids and relative ranges like the API does.
                    if let forValue = fields["for"], forValue.stringValue == nil, let seconds = forValue.intValue {
                        fields["for"] = .string("\(seconds)s")
                    }
                    return .object(fields)
                }
                do {
                    try await state.write { [rules] store throws(GrafanaAPIError) in
                        try store.provisionRuleGroup(folderUID: folder.uid, group: name, interval: interval, rules: rules)
                    }
                } catch {
                    throw .provisioning(file: file, reason: "rule group \(name): \(error.message)")
                }
                logger.info("provisioning: alert rule group", metadata: ["group": "\(name)", "folder": "\(folder.title)", "file": "\(file)"])
            }
            for kind in ["contactPoints", "policies", "templates", "muteTimes", "deleteContactPoints", "resetPolicies"] where document[kind] != nil {
                logger.notice("provisioning: \(kind) in \(file) are not modelled by the stand-in; skipped")
            }
        }
    }
}
