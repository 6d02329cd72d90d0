import Files

// The two forms of labelled data (see `LabelledData`), read into a `Draft`.

extension LabelledData.Draft {
    /// A TSV file, `label<TAB>text` per line; problems name the line (1-based).
    mutating func readTSV(lossy: Bool) throws(LabelledDataError) {
        do throws(FileError) {
            try DataFile.readLines(path: path, lossy: lossy) { number, decoded in readLine(decoded, number: number) }
        } catch { throw LabelledDataError([error.description]) }
    }

    /// One line that is not blank, without its line break.
    private mutating func readLine(_ decoded: DataFile.Decoded, number: Int) {
        let source = "\(path):\(number)"
        let line: String
        switch decoded {
        case .text(let text): line = text
        case .invalid(let at): return report(number, "\(source): " + DataFile.invalidUTF8(at, of: "file"))
        }
        guard let tab = line.firstIndex(of: "\t") else {
            return report(number, "\(source): no tab; each line is label<TAB>text")
        }
        let label: String
        do throws(TokenizerError) { label = try keptLabel(line[..<tab]) } catch {
            return report(number, "\(source): the label cannot be normalized: \(error)")
        }
        let text = String(line[line.index(after: tab)...])
        if label.isEmpty {
            report(number, "\(source): empty label (" + (tab == line.startIndex ? "the line starts with its tab)" : "only spaces before the tab)"))
        }
        if LabelledData.isBlank(text) {
            report(number, "\(source): empty text" + (label.isEmpty ? "" : " for label \(Vocabulary.displayForm(label))"))
        }
        if label.isEmpty { return }
        if LabelledData.isBlank(text) { return labelsOfBadRows.append(label) }
        rows.append((label, text, source, number))
    }

    /// A directory of label folders, one example per file; problems name the file.
    mutating func readDirectory(_ walk: DirectoryWalk, lossy: Bool) throws(LabelledDataError) {
        let root = path.hasSuffix("/") ? path : path + "/"
        skipped = walk.hidden + walk.notRegular
        var files: [(path: String, label: String)] = []
        for file in walk.files {
            let inside = file.dropFirst(root.count)
            guard let slash = inside.firstIndex(of: "/") else { skipped += 1; continue }  // directly in the directory
            files.append((file, String(inside[..<slash])))
        }
        var total = 0
        for file in files {  // every size first: memory is refused before anything is read
            do throws(FileError) { total = total &+ (try RegularFile(path: file.path).size) } catch {
                throw LabelledDataError([error.description])
            }
        }
        let limit = LabelledData.byteLimit
        if total > limit { throw LabelledDataError([FileError.tooLarge(path: path, size: total, limit: limit).description]) }
        for (position, file) in files.enumerated() {
            let bytes: [UInt8]
            do throws(FileError) { bytes = try RegularFile(path: file.path).readAll(limit: limit) } catch {
                report(position, error.description)
                continue
            }
            readFile(bytes, path: file.path, label: file.label, position: position, lossy: lossy)
        }
    }

    /// One file's bytes: a byte order mark and trailing line breaks dropped.
    private mutating func readFile(_ bytes: [UInt8], path: String, label: String, position: Int, lossy: Bool) {
        let decoded = bytes.withUnsafeBufferPointer { all in
            let start = UTF8Validation.startsWithByteOrderMark(all) ? 3 : 0
            var end = all.count
            while end > start, all[end - 1] == 0x0A || all[end - 1] == 0x0D { end -= 1 }
            return DataFile.decode(UnsafeBufferPointer(rebasing: all[start..<end]), lossy: lossy, baseOffset: start)
        }
        let trimmed: String
        do throws(TokenizerError) { trimmed = try keptLabel(label[...]) } catch {
            return report(position, "\(path): the label cannot be normalized: \(error)")
        }
        if trimmed.isEmpty { return report(position, "\(path): empty label (the folder's name is white space)") }
        switch decoded {
        case .invalid(let at):
            report(position, "\(path): " + DataFile.invalidUTF8(at, of: "file"))
        case .text(let text) where LabelledData.isBlank(text):
            report(position, "\(path): empty text for label \(Vocabulary.displayForm(trimmed))")
            labelsOfBadRows.append(trimmed)
        case .text(let text):
            rows.append((trimmed, text, path, position))
        }
    }
}
