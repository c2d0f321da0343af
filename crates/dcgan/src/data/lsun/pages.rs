//! A bounds check of an LMDB environment's B-tree, before LMDB reads it.
//!
//! LMDB trusts its file. It follows the page numbers, node offsets and sizes written in it, and
//! hands out values as pointers into its memory map, so a damaged page makes it (or whoever
//! reads the value) read outside the page or past the end of the map: a crash, not an error.
//! LSUN's environments are downloaded and read as they are, so before an environment's keys are
//! first listed, every page of its main database is walked here with the offsets and sizes
//! checked as LMDB will use them. A file that passes can be read by LMDB without leaving its
//! pages; one that does not is refused naming the page and what is wrong with it.
//!
//! The layout is LMDB 0.9's on a 64-bit machine (`mdb.c`; `lmdb-master-sys` builds it with
//! 8-byte page numbers, little-endian here):
//!
//! - every page starts with a 16-byte header: page number (`u64`), pad (`u16`), flags (`u16`),
//!   then `lower` and `upper` (`u16` each; an overflow page has a `u32` page count instead);
//! - pages 0 and 1 are meta pages, whose `MDB_meta` (after the header) holds the magic, the
//!   version, the page size, the main database's root, depth, page counts and entries, the last
//!   page number and the transaction; LMDB reads the one of the later transaction;
//! - a branch or leaf page holds `(lower - 16) / 2` node offsets after its header, each
//!   pointing to an 8-byte node header (`lo`, `hi`, `flags`, `ksize`: `u16` each) with the key
//!   after it; a branch node's child is `lo | hi << 16 | flags << 32`, a leaf node's value has
//!   `lo | hi << 16` bytes, after the key or, with `F_BIGDATA`, on the overflow pages whose
//!   first page number follows the key.
//!
//! LMDB reads nothing else when it lists keys or gets values read-only: not the free list, not
//! the other meta page's tree, not an overflow page's own header.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::{Error, Result};

const PAGE_HEADER: u64 = 16;
const NODE_HEADER: u64 = 8;
const MAGIC: u32 = 0xBEEF_C0DE;
const DATA_VERSION: u32 = 1;
/// Page sizes LMDB writes: 4096 on most machines, the machine's page size capped at 32 KiB
/// (`MAX_PAGESIZE`) elsewhere.
const MIN_PAGE: u64 = 512;
const MAX_PAGE: u64 = 0x8000;
/// A tree with no root.
const INVALID_PAGE: u64 = u64::MAX;
/// LMDB's cursor holds at most this many levels.
const CURSOR_STACK: u16 = 32;

const P_BRANCH: u16 = 0x01;
const P_LEAF: u16 = 0x02;
const P_META: u16 = 0x08;
/// Every page-kind flag; the others (dirty, loose, keep) say nothing about the layout.
const P_KINDS: u16 = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40;

const F_BIGDATA: u16 = 0x01;
const F_DUPDATA: u16 = 0x04;

/// Database flags that change how keys or values are laid out or compared (`MDB_DUPSORT`,
/// `MDB_INTEGERKEY`, `MDB_DUPFIXED`, `MDB_INTEGERDUP`, `MDB_REVERSEDUP`); LSUN's use none.
const LAYOUT_FLAGS: u16 = 0x04 | 0x08 | 0x10 | 0x20 | 0x40;

/// What the walk found: the meta page LMDB reads, and the tree it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tree {
    pub page_size: u64,
    pub last_page: u64,
    pub txn: u64,
    pub entries: u64,
    pub depth: u16,
}

/// One meta page's fields.
#[derive(Debug, Clone, Copy)]
struct Meta {
    page_flags: u16,
    magic: u32,
    version: u32,
    page_size: u32,
    flags: u16,
    depth: u16,
    branch_pages: u64,
    leaf_pages: u64,
    overflow_pages: u64,
    entries: u64,
    root: u64,
    last_page: u64,
    txn: u64,
}

impl Meta {
    /// The `MDB_meta` of the page whose bytes start at `page`.
    fn parse(page: &[u8]) -> Self {
        let main = 16 + 8 + 8 + 8 + 48; // header, magic + version, address, map size, free db
        Self {
            page_flags: u16_at(page, 10),
            magic: u32_at(page, 16),
            version: u32_at(page, 20),
            page_size: u32_at(page, 40),
            flags: u16_at(page, main + 4),
            depth: u16_at(page, main + 6),
            branch_pages: u64_at(page, main + 8),
            leaf_pages: u64_at(page, main + 16),
            overflow_pages: u64_at(page, main + 24),
            entries: u64_at(page, main + 32),
            root: u64_at(page, main + 40),
            last_page: u64_at(page, main + 48),
            txn: u64_at(page, main + 56),
        }
    }

    fn valid(&self) -> bool {
        self.page_flags & P_META != 0 && self.magic == MAGIC && self.version == DATA_VERSION
    }

    fn tree(&self) -> Tree {
        Tree {
            page_size: self.page_size as u64,
            last_page: self.last_page,
            txn: self.txn,
            entries: self.entries,
            depth: self.depth,
        }
    }
}

/// Checks the meta pages of the LMDB file at `path` (`len` bytes) as LMDB will read them when it
/// opens the file, and returns what the one it uses says. LMDB trusts them too: a damaged page
/// size makes it divide by zero or look for its second meta page outside its map, a damaged
/// last page number makes it map past the file. So this runs before every open.
pub(crate) fn check_meta(path: &Path, len: u64) -> Result<Tree> {
    meta_of(path, len).map(|(_, meta)| meta.tree())
}

/// Checks the meta pages ([`check_meta`]), then walks the main database as LMDB would read it,
/// and returns what the meta page says, or an error naming the first page that would make
/// LMDB read outside its pages.
pub(crate) fn check(path: &Path, len: u64) -> Result<Tree> {
    let (file, meta) = meta_of(path, len)?;
    let bad = |message: String| Error::format(path, message);
    let tree = meta.tree();
    if meta.root == INVALID_PAGE {
        return if meta.entries == 0 {
            Ok(tree)
        } else {
            Err(bad(format!(
                "its main database has no root but counts {} records",
                meta.entries
            )))
        };
    }
    if meta.depth == 0 || meta.depth > CURSOR_STACK {
        return Err(bad(format!(
            "its main database is {} levels deep (LMDB reads 1 to {CURSOR_STACK})",
            meta.depth
        )));
    }
    let (page_size, pages) = (meta.page_size as u64, meta.last_page + 1);
    let leaf_level = meta.depth - 1;
    let mut walk = Walk {
        file,
        path,
        page_size,
        last_page: meta.last_page,
        seen: vec![0u64; pages.div_ceil(64) as usize],
        page: vec![0u8; page_size as usize],
        counts: [0; 4],
    };
    walk.visit(meta.root, "the root page")?;
    let mut stack = vec![(meta.root, 0u16)];
    while let Some((pgno, level)) = stack.pop() {
        let want = if level == leaf_level {
            P_LEAF
        } else {
            P_BRANCH
        };
        let children = walk.page(pgno, level, want)?;
        for child in children {
            stack.push((child, level + 1));
        }
    }
    let [branch, leaf, overflow, entries] = walk.counts;
    let counted = [
        ("branch pages", branch, meta.branch_pages),
        ("leaf pages", leaf, meta.leaf_pages),
        ("overflow pages", overflow, meta.overflow_pages),
        ("records", entries, meta.entries),
    ];
    for (what, found, said) in counted {
        if found != said {
            return Err(bad(format!(
                "its main database holds {found} {what} but its meta page counts {said}"
            )));
        }
    }
    Ok(tree)
}

/// The open file and the meta page LMDB will use, both meta pages checked as LMDB reads them:
/// the first, then the second one page size (the first's) further on; LMDB refuses either
/// without its flag, magic or version, and uses the one of the later transaction (the first on
/// a tie), with that one's page size.
fn meta_of(path: &Path, len: u64) -> Result<(File, Meta)> {
    let bad = |message: String| Error::format(path, message);
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut first = vec![0u8; 160.min(len as usize)];
    read_at(&mut file, path, 0, &mut first)?;
    if first.len() < 160 {
        return Err(bad(format!(
            "{len} bytes is too short for an LMDB meta page"
        )));
    }
    let m0 = Meta::parse(&first);
    if !m0.valid() {
        return Err(bad(
            "its first meta page is not LMDB's (flags, magic or version)".into(),
        ));
    }
    let page_size = m0.page_size as u64;
    if !(MIN_PAGE..=MAX_PAGE).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bad(format!(
            "its meta page gives a page size of {page_size} bytes, which LMDB never writes"
        )));
    }
    if len < 2 * page_size {
        return Err(bad(format!(
            "truncated: {len} bytes cannot hold two meta pages of {page_size} bytes"
        )));
    }
    let mut second = vec![0u8; 160];
    read_at(&mut file, path, page_size, &mut second)?;
    let m1 = Meta::parse(&second);
    if !m1.valid() {
        return Err(bad(
            "its second meta page is not LMDB's (flags, magic or version)".into(),
        ));
    }
    if m1.page_size != m0.page_size {
        return Err(bad(format!(
            "its meta pages disagree on the page size ({} and {} bytes)",
            m0.page_size, m1.page_size
        )));
    }
    let meta = if m1.txn > m0.txn { m1 } else { m0 };
    let pages = meta.last_page.checked_add(1);
    if pages
        .and_then(|p| p.checked_mul(page_size))
        .is_none_or(|end| end > len)
    {
        return Err(bad(format!(
            "truncated: {len} bytes, but the meta page counts {} pages of {page_size} bytes",
            meta.last_page as u128 + 1
        )));
    }
    if meta.last_page < 1 {
        return Err(bad(format!(
            "its meta page gives {} as the last page, before the meta pages end",
            meta.last_page
        )));
    }
    if meta.flags & LAYOUT_FLAGS != 0 {
        return Err(bad(format!(
            "its main database has flags {:#x} (sorted duplicates or integer keys), which LSUN's \
             environments do not use",
            meta.flags
        )));
    }
    Ok((file, meta))
}

/// The state of one walk: the file, which pages were reached, and what was counted.
struct Walk<'a> {
    file: File,
    path: &'a Path,
    page_size: u64,
    last_page: u64,
    /// A bit per page: reached already (a page reached twice makes a cycle or a shared child).
    seen: Vec<u64>,
    page: Vec<u8>,
    /// Branch pages, leaf pages, overflow pages, records.
    counts: [u64; 4],
}

impl Walk<'_> {
    fn bad(&self, pgno: u64, message: String) -> Error {
        Error::format(self.path, format!("damaged: page {pgno} {message}"))
    }

    /// Marks `pgno` (which `whence` points to) reached, refusing a page number outside the
    /// tree's pages or one reached before.
    fn visit(&mut self, pgno: u64, whence: &str) -> Result<()> {
        if pgno < 2 || pgno > self.last_page {
            return Err(Error::format(
                self.path,
                format!(
                    "damaged: {whence} is page {pgno}, outside the data pages 2..={}",
                    self.last_page
                ),
            ));
        }
        let (word, bit) = ((pgno / 64) as usize, pgno % 64);
        if self.seen[word] & (1 << bit) != 0 {
            return Err(Error::format(
                self.path,
                format!("damaged: {whence} is page {pgno}, which the tree reaches twice"),
            ));
        }
        self.seen[word] |= 1 << bit;
        Ok(())
    }

    /// Checks page `pgno`, which must be a branch or leaf page (`want`) at `level`, and returns
    /// its children.
    fn page(&mut self, pgno: u64, level: u16, want: u16) -> Result<Vec<u64>> {
        let size = self.page_size;
        read_at(&mut self.file, self.path, pgno * size, &mut self.page)?;
        let p = &self.page;
        let (number, flags) = (u64_at(p, 0), u16_at(p, 10));
        let (lower, upper) = (u16_at(p, 12) as u64, u16_at(p, 14) as u64);
        if number != pgno {
            return Err(self.bad(pgno, format!("holds the header of page {number}")));
        }
        if flags & P_KINDS != want {
            let kind = if want == P_LEAF { "leaf" } else { "branch" };
            return Err(self.bad(
                pgno,
                format!(
                    "has page flags {flags:#x}, not a {kind} page, at level {level} of the tree"
                ),
            ));
        }
        if lower < PAGE_HEADER
            || lower > upper
            || upper > size
            || !(lower - PAGE_HEADER).is_multiple_of(2)
        {
            return Err(self.bad(
                pgno,
                format!("has its free space at {lower}..{upper}, outside its {size} bytes"),
            ));
        }
        let keys = (lower - PAGE_HEADER) / 2;
        if keys == 0 {
            return Err(self.bad(pgno, "holds no keys".into()));
        }
        let mut children = Vec::new();
        let mut overflow = Vec::new();
        for i in 0..keys {
            let p = &self.page;
            let node = u16_at(p, (PAGE_HEADER + 2 * i) as usize) as u64;
            if node < upper || !node.is_multiple_of(2) || node + NODE_HEADER > size {
                return Err(self.bad(
                    pgno,
                    format!("has node {i} at byte {node}, outside its nodes ({upper}..{size})"),
                ));
            }
            let at = node as usize;
            let (lo, hi) = (u16_at(p, at) as u64, u16_at(p, at + 2) as u64);
            let (node_flags, key_size) = (u16_at(p, at + 4), u16_at(p, at + 6) as u64);
            let key_end = node + NODE_HEADER + key_size;
            if key_end > size {
                return Err(self.bad(
                    pgno,
                    format!("has node {i} with a {key_size}-byte key, past the page's end"),
                ));
            }
            if want == P_BRANCH {
                children.push(lo | (hi << 16) | ((node_flags as u64) << 32));
                continue;
            }
            let value = lo | (hi << 16);
            if node_flags & F_DUPDATA != 0 {
                return Err(self.bad(
                    pgno,
                    format!("has node {i} with sorted duplicates, which LSUN does not use"),
                ));
            }
            if node_flags & F_BIGDATA == 0 {
                if key_end + value > size {
                    return Err(self.bad(
                        pgno,
                        format!("has node {i} with a {value}-byte value, past the page's end"),
                    ));
                }
                continue;
            }
            if key_end + 8 > size {
                return Err(self.bad(
                    pgno,
                    format!("has node {i} whose overflow page number is past the page's end"),
                ));
            }
            overflow.push((i, u64_at(p, key_end as usize), value));
        }
        for (i, first, value) in overflow {
            // The value is read from after the first overflow page's header, `value` bytes on.
            let end = first
                .checked_mul(size)
                .and_then(|b| b.checked_add(PAGE_HEADER + value));
            if first < 2 || end.is_none_or(|end| end > (self.last_page + 1) * size) {
                return Err(self.bad(
                    pgno,
                    format!(
                        "has node {i} with a {value}-byte value on overflow page {first}, past \
                         the last page ({})",
                        self.last_page
                    ),
                ));
            }
            self.counts[2] += (PAGE_HEADER - 1 + value) / size + 1;
        }
        if want == P_LEAF {
            self.counts[1] += 1;
            self.counts[3] += keys;
        } else {
            self.counts[0] += 1;
            for (i, &child) in children.iter().enumerate() {
                self.visit(child, &format!("the child {i} of branch page {pgno}"))?;
            }
        }
        Ok(children)
    }
}

fn read_at(file: &mut File, path: &Path, offset: u64, buf: &mut [u8]) -> Result<()> {
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(buf))
        .map_err(|e| Error::io(path, e))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use heed::types::Bytes;
    use heed::{Database, EnvOpenOptions};

    const PAGE: usize = 4096;

    /// An environment written by LMDB itself (through heed), shaped as LSUN's: 40-hex keys,
    /// 200 records, most values inline and every seventh on overflow pages, so the tree has a
    /// branch level.
    fn written_by_lmdb() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: a fresh folder of this test's own, opened once.
        let env = unsafe { EnvOpenOptions::new().map_size(1 << 23).open(dir.path()) }.unwrap();
        let mut wtxn = env.write_txn().unwrap();
        let db: Database<Bytes, Bytes> = env.create_database(&mut wtxn, None).unwrap();
        for i in 0..200u32 {
            let key = format!("{:040x}", u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let len = if i % 7 == 0 { 5000 } else { 100 + i as usize };
            db.put(&mut wtxn, key.as_bytes(), &vec![i as u8; len])
                .unwrap();
        }
        wtxn.commit().unwrap();
        env.prepare_for_closing().wait();
        std::fs::read(dir.path().join("data.mdb")).unwrap()
    }

    fn check_bytes(bytes: &[u8]) -> Result<Tree> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.mdb");
        std::fs::write(&path, bytes).unwrap();
        check(&path, bytes.len() as u64)
    }

    fn refused(bytes: &[u8], expected: &str) {
        let message = check_bytes(bytes).unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "expected {expected:?} in: {message}"
        );
    }

    /// The offset of the meta page LMDB reads (the later transaction).
    fn meta_at(b: &[u8]) -> usize {
        if u64_at(b, PAGE + 144) > u64_at(b, 144) {
            PAGE
        } else {
            0
        }
    }

    /// Page numbers of pages with exactly `kind` among their kind flags.
    fn pages_of(b: &[u8], kind: u16) -> Vec<usize> {
        (2..b.len() / PAGE)
            .filter(|&p| {
                u64_at(b, p * PAGE) == p as u64 && u16_at(b, p * PAGE + 10) & P_KINDS == kind
            })
            .collect()
    }

    /// Byte offset of node `i` of page `p`.
    fn node(b: &[u8], p: usize, i: usize) -> usize {
        p * PAGE + u16_at(b, p * PAGE + 16 + 2 * i) as usize
    }

    /// A leaf page and a node of it whose value is on overflow pages (`big`) or inline.
    fn leaf_node(b: &[u8], big: bool) -> (usize, usize) {
        for p in pages_of(b, P_LEAF) {
            let keys = (u16_at(b, p * PAGE + 12) as usize - 16) / 2;
            for i in 0..keys {
                if (u16_at(b, node(b, p, i) + 4) & F_BIGDATA != 0) == big {
                    return (p, i);
                }
            }
        }
        panic!("no such node");
    }

    fn put16(b: &mut [u8], at: usize, v: u16) {
        b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put64(b: &mut [u8], at: usize, v: u64) {
        b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn what_lmdb_writes_passes_with_the_counts_lmdb_gives() {
        let bytes = written_by_lmdb();
        let tree = check_bytes(&bytes).unwrap();
        assert_eq!(tree.entries, 200);
        assert_eq!(tree.depth, 2);
        assert_eq!(tree.page_size, 4096);
        assert_eq!(tree.last_page + 1, (bytes.len() / PAGE) as u64);
        assert!(!pages_of(&bytes, P_BRANCH).is_empty());
        // The LSUN fixture, written by Python's lmdb package; its figures are those
        // `lmdb.Environment.stat()` and `.info()` give for it.
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lsun/tiny_train_lmdb/data.mdb");
        let len = std::fs::metadata(&fixture).unwrap().len();
        let tree = check(&fixture, len).unwrap();
        let expected = Tree {
            page_size: 4096,
            last_page: 16,
            txn: 1,
            entries: 25,
            depth: 2,
        };
        assert_eq!(tree, expected);
    }

    #[test]
    fn every_damage_that_would_lead_lmdb_outside_its_pages_is_refused_naming_the_page() {
        let good = written_by_lmdb();
        let meta = meta_at(&good);
        let main = meta + 88;
        let root = u64_at(&good, main + 40) as usize;
        let (leaf, inline) = leaf_node(&good, false);
        let (big_leaf, big) = leaf_node(&good, true);
        let last = u64_at(&good, main + 48);
        type Damage = Box<dyn Fn(&mut Vec<u8>)>;
        let damages: Vec<(&str, Damage, String)> = vec![
            (
                "an inline value longer than its page",
                Box::new(move |b| {
                    let at = node(b, leaf, inline);
                    put16(b, at, 0xffff);
                }),
                format!("page {leaf} has node {inline} with a"),
            ),
            (
                "a key longer than its page",
                Box::new(move |b| {
                    let at = node(b, leaf, inline);
                    put16(b, at + 6, 0xfff0);
                }),
                "-byte key, past the page's end".into(),
            ),
            (
                "a node offset inside the page header",
                Box::new(move |b| put16(b, leaf * PAGE + 16, 4)),
                format!("page {leaf} has node 0 at byte 4"),
            ),
            (
                "an overflow value past the last page",
                Box::new(move |b| {
                    let at = node(b, big_leaf, big);
                    put16(b, at + 2, 0x7fff);
                }),
                format!("page {big_leaf} has node {big} with a"),
            ),
            (
                "an overflow page number past the last page",
                Box::new(move |b| {
                    let at = node(b, big_leaf, big);
                    let key = u16_at(b, at + 6) as usize;
                    put64(b, at + 8 + key, last + 1);
                }),
                "past the last page".into(),
            ),
            (
                "a child page number past the last page",
                Box::new(move |b| {
                    let at = node(b, root, 0);
                    put16(b, at + 2, 0x7fff);
                }),
                "outside the data pages".into(),
            ),
            (
                "a child that is a meta page",
                Box::new(move |b| {
                    let at = node(b, root, 1);
                    put16(b, at, 1);
                    put16(b, at + 2, 0);
                    put16(b, at + 4, 0);
                }),
                format!("the child 1 of branch page {root} is page 1"),
            ),
            (
                "two children that are one page",
                Box::new(move |b| {
                    let first = node(b, root, 0);
                    let (lo, hi) = (u16_at(b, first), u16_at(b, first + 2));
                    let second = node(b, root, 1);
                    put16(b, second, lo);
                    put16(b, second + 2, hi);
                }),
                "which the tree reaches twice".into(),
            ),
            (
                "a free space bound past the page",
                Box::new(move |b| put16(b, leaf * PAGE + 14, 5000)),
                format!("page {leaf} has its free space"),
            ),
            (
                "a leaf page marked as a branch page",
                Box::new(move |b| put16(b, leaf * PAGE + 10, P_BRANCH)),
                format!("page {leaf} has page flags 0x1, not a leaf page"),
            ),
            (
                "a page holding another page's header",
                Box::new(move |b| put64(b, leaf * PAGE, 7777)),
                format!("page {leaf} holds the header of page 7777"),
            ),
            (
                "a page with no keys",
                Box::new(move |b| put16(b, leaf * PAGE + 12, 16)),
                format!("page {leaf} holds no keys"),
            ),
            (
                "a record count that is not the tree's",
                Box::new(move |b| put64(b, main + 32, 201)),
                "holds 200 records but its meta page counts 201".into(),
            ),
            (
                "a last page past the file's end",
                Box::new(move |b| put64(b, main + 48, last + 10)),
                "truncated".into(),
            ),
            (
                "a root page number past the last page",
                Box::new(move |b| put64(b, main + 40, last + 1)),
                "the root page is page".into(),
            ),
            (
                "records counted under no root",
                Box::new(move |b| put64(b, main + 40, u64::MAX)),
                "no root but counts 200 records".into(),
            ),
            (
                "a depth beyond LMDB's cursor",
                Box::new(move |b| put16(b, main + 6, 40)),
                "40 levels deep".into(),
            ),
            (
                "a depth one level short",
                Box::new(move |b| put16(b, main + 6, 1)),
                format!("page {root} has page flags 0x1, not a leaf page"),
            ),
            (
                "sorted duplicates",
                Box::new(move |b| put16(b, main + 4, 0x04)),
                "flags 0x4".into(),
            ),
            (
                "a page size LMDB never writes",
                Box::new(|b| put16(b, 40, 3000)),
                "page size of 3000 bytes".into(),
            ),
            // The three the fuzzer found first: LMDB itself crashes on these when it opens
            // the file (a division by zero; its second meta page looked for past the map).
            (
                "a page size of zero",
                Box::new(|b| put16(b, 40, 0)),
                "page size of 0 bytes".into(),
            ),
            (
                "meta pages of two page sizes",
                Box::new(|b| put16(b, PAGE + 42, 0xff)),
                "disagree on the page size (4096 and 16715776 bytes)".into(),
            ),
            (
                "a second meta page that is not one",
                Box::new(|b| put16(b, PAGE + 10, 0)),
                "its second meta page is not LMDB's".into(),
            ),
        ];
        for (what, damage, expected) in damages {
            let mut bytes = good.clone();
            damage(&mut bytes);
            assert_ne!(bytes, good, "{what}: the damage changed nothing");
            let message = check_bytes(&bytes).map(|_| ()).unwrap_err().to_string();
            assert!(
                message.contains(&expected),
                "{what}: expected {expected:?} in: {message}"
            );
        }
        refused(&good[..100], "too short");
    }
}
