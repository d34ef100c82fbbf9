import Foundation
import Reports
import Testing
import TestSupport

/// The MoE task across two hosts on one machine: two network namespaces joined by a veth pair,
/// `mpirun` started in the first with a hostfile naming both addresses and
/// `Scripts/netns-agent.sh` as its launcher agent (it enters the namespace of the host it is
/// asked for, as ssh would log in). Open MPI then sees two hosts: the inter-node hop crosses a
/// real network interface over TCP, windows are used only within a host, and the outputs equal
/// the one-host run's. Needs root (`ip netns`, `unshare`); elsewhere it prints why and passes.
@Suite(.serialized) struct TwoHostTests {
    /// Two namespaces joined by a veth pair, removed again by ``tearDown()``.
    struct Namespaces {
        let names: [String]
        let addresses: [String]

        /// Creates them, or says why it cannot.
        static func make() -> Result<Namespaces, SetupError> {
            let tag = Int(ProcessInfo.processInfo.processIdentifier) % 100_000
            let names = ["frugal-a\(tag)", "frugal-b\(tag)"], links = ["fva\(tag)", "fvb\(tag)"]
            let addresses = ["10.217.\(tag % 250).1", "10.217.\(tag % 250).2"]
            let namespaces = Namespaces(names: names, addresses: addresses)
            var commands = names.map { ["ip", "netns", "add", $0] }
            commands.append(["ip", "link", "add", links[0], "type", "veth", "peer", "name", links[1]])
            for side in 0..<2 {
                commands += [["ip", "link", "set", links[side], "netns", names[side]],
                             ["ip", "-n", names[side], "addr", "add", "\(addresses[side])/24", "dev", links[side]],
                             ["ip", "-n", names[side], "link", "set", links[side], "up"],
                             ["ip", "-n", names[side], "link", "set", "lo", "up"],
                             // The launcher gives each host its own name: a UTS namespace inside.
                             ["ip", "netns", "exec", names[side], "unshare", "--uts", "true"]]
            }
            for command in commands {
                let (status, output) = Self.shell(command)
                if status != 0 {
                    namespaces.tearDown()
                    return .failure(SetupError(reason: "`\(command.joined(separator: " "))` failed (\(status)): \(output)"))
                }
            }
            return .success(namespaces)
        }

        func tearDown() { for name in names { _ = Self.shell(["ip", "netns", "delete", name]) } }

        /// Runs a command; its status and what it printed.
        static func shell(_ arguments: [String], environment: [String: String]? = nil, timeout: Double = 180) -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            if let environment { process.environment = environment }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            do { try process.run() } catch { return (-1, "\(error)") }
            nonisolated(unsafe) var data = Data()
            let reader = DispatchQueue.global()
            let group = DispatchGroup()
            group.enter()
            reader.async { data = pipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            group.wait()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    struct SetupError: Error { var reason: String }

    static let job = """
        name = "moe-two-hosts"
        seed = 5

        [[tasks]]
        kind = "moe"
        name = "layer"
        tokens = 48
        hidden = 24
        expertFfnWidth = 12
        routedExperts = 8
        sharedExperts = 1
        topK = 3
        groups = 2
        topkGroups = 1
        gpusPerNode = 2
        routeScale = 2.5
        steps = 2
        microBatches = 2
        backward = true

        [tasks.balance]
        mode = "auxFree"
        """

    @Test func theMoETaskOnTwoHostsEqualsTheOneHostRun() throws {
        let namespaces: Namespaces
        switch Namespaces.make() {
        case .success(let made): namespaces = made
        case .failure(let error):
            print("TwoHostTests: skipped, network namespaces are not available here: \(error.reason)")
            return
        }
        defer { namespaces.tearDown() }
        let (path, directory) = MPIRunner.writeJob(Self.job)
        try namespaces.addresses.map { "\($0) slots=2" }.joined(separator: "\n").write(toFile: directory + "/hostfile", atomically: true, encoding: .utf8)
        var environment = MPIRunner.environment
        environment["FRUGAL_NETNS_HOSTS"] = zip(namespaces.addresses, namespaces.names).map { "\($0)=\($1)" }.joined(separator: " ")
        // Tests keep the single-copy mechanism off; across hosts TCP carries what crosses.
        let agent = MPIRunner.packageRoot.appendingPathComponent("Scripts/netns-agent.sh").path
        let mpirun = "mpirun -q --hostfile \(directory)/hostfile --mca plm_rsh_agent \(agent) -x FRUGAL_NETNS_HOSTS -np 4 --map-by slot "
            + "\(MPIRunner.executable) run \(path) --out \(directory)/two-hosts"
        let (status, output) = Namespaces.shell(["ip", "netns", "exec", namespaces.names[0], "unshare", "--uts", "/bin/sh", "-c",
                                                 "hostname \(namespaces.names[0]); \(mpirun)"], environment: environment)
        #expect(status == 0, "\(output)")
        let twoHosts = try MPIRunner.moeRecords(in: directory + "/two-hosts").sorted { ($0.step, $0.rank) < ($1.step, $1.rank) }
        let (outcome, oneHostDirectory) = try MPIRunner.runJob(Self.job.replacingOccurrences(of: "backward = true", with: "backward = true\ntransport = \"alltoallv\""),
                                                               ranks: 4)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let oneHost = try MPIRunner.moeRecords(in: oneHostDirectory).sorted { ($0.step, $0.rank) < ($1.step, $1.rank) }
        #expect(Set(twoHosts.map(\.host)) == Set(namespaces.names), "\(twoHosts.map(\.host))")
        #expect(twoHosts.allSatisfy { $0.transport == "hierarchical" && $0.verified })
        #expect(twoHosts.map(\.outputChecksum) == oneHost.map(\.outputChecksum))
        #expect(twoHosts.map(\.maxAbsError) == oneHost.map(\.maxAbsError))
        // Each token crosses once per destination node: never more than with one row per pair.
        for (crossing, flat) in zip(twoHosts, oneHost) {
            let perPair = flat.bytesSentPerPeer.indices.filter { $0 / 2 != flat.rank / 2 }.reduce(0) { $0 + flat.bytesSentPerPeer[$1] }
            #expect((crossing.interNodeBytesSent ?? -1) <= perPair)
        }
    }
}
