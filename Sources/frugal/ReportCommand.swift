import ArgumentParser
import Foundation
import Reports

extension Frugal {
    /// `frugal report DIR`: charts and tables from a results folder.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained HTML report (inline SVG charts) plus summary.md, points.csv and points.json.",
            discussion: """
            DIR is a sweep folder (frugal sweep --out DIR) or a single run's folder (frugal run --out DIR);
            DIR/predictions.jsonl, when present, adds the predicted-vs-measured chart. Lines that
            cannot be read are reported (file:line) and the rest is still plotted.

            Examples:
              frugal report results/sweep --out reports/latest
            """)

        @Argument(help: "The results folder.")
        var folder: String

        @Option(help: "Folder for index.html, summary.md, points.csv and points.json.")
        var out: String = "reports/latest"

        @Option(help: "The page's title.")
        var title: String = "Frugal scaling report"

        func run() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                FileHandle.standardError.write(Data("frugal: error: \(folder): no such results folder\n".utf8))
                throw ExitCode(ExitStatus.badInput)
            }
            do { try OutputPath.checkFolder(out, flag: "--out") } catch {
                FileHandle.standardError.write(Data("frugal: error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badInput)
            }
            let outcome: ReportWriter.Outcome
            do {
                outcome = try ReportWriter(inputFolder: folder, outputFolder: out, title: title).write()
            } catch let error as ResultsFolderError {
                FileHandle.standardError.write(Data("frugal: error: \(error)\n".utf8))
                throw ExitCode(error.isBadInput ? ExitStatus.badInput : ExitStatus.systemFailure)
            }
            for problem in outcome.problems {
                FileHandle.standardError.write(Data("frugal: warning: \(problem)\n".utf8))
            }
            print("# report: \(outcome.points.count) points, \(outcome.problems.count) problems")
            print(outcome.indexPath)
        }
    }
}
