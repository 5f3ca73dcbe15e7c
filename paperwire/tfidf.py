"""TF-IDF vectors of paper texts, tokenised with numpy instead of a regex.

A regex or ``str.split`` makes one Python string per word: about five
million at 20,000 papers, which costs more than everything else in the
related-papers stage. Here each block of texts becomes one byte array; words
are the runs of word bytes (ASCII letters, digits, underscore, and every
byte of a non-ASCII character, so "modèle" stays one word), and each word is
known by a 64-bit hash of its first 24 bytes and its length, computed for
all words at once. Two different words sharing a hash is as unlikely as
two random 64-bit numbers being equal.

The weights are scikit-learn's ``TfidfVectorizer(sublinear_tf=True,
min_df=2, max_df=0.5)``: words of two or more characters, English stop
words dropped, smoothed idf, rows normalised to length 1. Optionally the
document frequencies come from the first ``base`` texts alone (see
tfidf_model), so that texts added after them change none of their rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Sequence

from .parallel import map_chunks

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse

# English function words; words common in abstracts drop out by document frequency.
STOP_WORDS = frozenset("""
about above across after again against all almost also although always among an and another any are
around as at be became because become been before being below between both but by can cannot could did
do does doing done down during each either else enough etc even ever every few for from further had has
have having he her here hers herself him himself his how however if in into is it its itself just least
less many may me might more most much must my myself neither no nor not now of off often on once one only
onto or other others otherwise our ours ourselves out over own per perhaps rather same she should since so
some such than that the their theirs them themselves then there thereby therefore these they this those
though through thus to together too toward towards under until up upon us very via was we well were what
whatever when where whereas whether which while who whom whose why will with within without would yet you
your yours yourself yourselves
""".split())
MIN_DF = 2  # a word in one paper only links it to nothing
MAX_DF_SHARE = 0.5  # a word in most papers says nothing about any
_BLOCK = 2000  # texts tokenised together: bounds the memory of the byte arrays (and fits 16 bits)
_SEPARATOR = 0  # NUL between texts; clean text never contains it
_KEY_BYTES = 24  # words agreeing on these and on length share a hash
# A hash leaves room in 64 bits for the index of its text within a block
# (see _count_block): 53 bits of hash are plenty for any vocabulary.
_TEXT_BITS = (_BLOCK - 1).bit_length()
_HASH_BITS = 64 - _TEXT_BITS


def _word_bytes() -> "np.ndarray":
    import numpy as np

    table = np.zeros(256, dtype=bool)
    for low, high in ((ord("0"), ord("9")), (ord("a"), ord("z")), (ord("A"), ord("Z"))):
        table[low: high + 1] = True
    table[ord("_")] = True
    table[0x80:] = True  # the bytes of UTF-8 encoded non-ASCII characters
    return table


def word_hashes(texts: list[str]) -> tuple["np.ndarray", "np.ndarray"]:
    """Return (text index, word hash) for every word of two or more bytes, in text order.

    At most ``2 ** _TEXT_BITS`` texts at once.
    """
    import numpy as np

    # NUL separates the texts; clean text has none, but a stray one must not shift them.
    joined = "\0".join(text.replace("\0", " ") for text in texts)
    data = np.frombuffer(joined.lower().encode("utf-8", "surrogatepass") + bytes(_KEY_BYTES + 8), dtype=np.uint8)
    length = len(data) - _KEY_BYTES - 8
    is_word = _word_bytes()[data[:length]]
    edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
    starts, ends = edges[0::2], edges[1::2]
    sizes = ends - starts
    keep = sizes >= 2
    starts, sizes = starts[keep], sizes[keep]
    text_of = np.searchsorted(np.flatnonzero(data[:length] == _SEPARATOR), starts)
    # Eight bytes starting at every offset, read straight from the buffer.
    words_at = np.ndarray((length,), dtype="<u8", buffer=data, strides=(1,))
    hashes = sizes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for part in range(_KEY_BYTES // 8):
        valid = np.clip(sizes - 8 * part, 0, 8).astype(np.uint64)
        # Keep only the word's own bytes: (1 << 8*valid) - 1, done in two shifts so 64 never occurs.
        mask = ((np.uint64(1) << (np.uint64(4) * valid)) << (np.uint64(4) * valid)) - np.uint64(1)
        mask[valid == 8] = np.uint64(0xFFFFFFFFFFFFFFFF)
        chunk = words_at[np.minimum(starts + 8 * part, length - 1)] & mask
        hashes = _mix(hashes ^ chunk)
    return text_of, hashes >> np.uint64(_TEXT_BITS)


def _mix(values: "np.ndarray") -> "np.ndarray":
    """Scramble 64-bit values (the finaliser of MurmurHash3), so similar words get unrelated hashes."""
    import numpy as np

    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB93FE53AC863)
    return values ^ (values >> np.uint64(33))


def _count_block(texts: Sequence[str], start: int) -> tuple["np.ndarray", ...]:
    """Count the words of one block of texts.

    Returns the block's vocabulary (its word hashes, sorted) and, per
    distinct word of each text, by text then word: the text's index in the
    block, the word's index in that vocabulary, and its count.
    """
    import numpy as np

    # The texts are made here, in the worker, from the papers it was forked
    # with: handing them over would mean pickling the whole corpus.
    text_of, hashes = word_hashes(texts[start: start + _BLOCK])
    # One sort of (text, hash) packed in 64 bits, then the runs of equal keys.
    keys = np.sort((text_of.astype(np.uint64) << np.uint64(_HASH_BITS)) | hashes)
    firsts = np.flatnonzero(np.diff(keys, prepend=keys[:1] ^ np.uint64(1)))
    # Small types: every block's counts are held until all are in (see tfidf_rows).
    # A text index fits (_BLOCK texts), and a word said over 65,535 times in one
    # paper counts as said 65,535 times, its weight (1 + log) hardly different.
    counts = np.minimum(np.diff(np.append(firsts, len(keys))), 65535).astype(np.uint16)
    keys = keys[firsts]
    vocabulary, terms = np.unique(keys & np.uint64((1 << _HASH_BITS) - 1), return_inverse=True)
    return vocabulary, (keys >> np.uint64(_HASH_BITS)).astype(np.uint16), terms.astype(np.int32), counts


def _sorted_distinct(values: "np.ndarray") -> "np.ndarray":
    """Return the distinct ``values``, sorted: ``np.unique`` without its import of numpy.ma.

    numpy's own unique asks numpy.ma whether the array is masked, and
    importing numpy.ma takes 35-40 ms, a thirtieth of a small site's build.
    """
    import numpy as np

    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _places_of(ordered: "np.ndarray", values: "np.ndarray") -> "np.ndarray":
    """Return the places in ``ordered`` (sorted, distinct) of the ``values`` it holds: ``np.isin`` without numpy.ma."""
    import numpy as np

    places = np.searchsorted(ordered, values)
    inside = places < len(ordered)
    places, values = places[inside], values[inside]
    return places[ordered[places] == values]


class Rows(NamedTuple):
    """TF-IDF rows in compressed sparse row form, as plain numpy arrays."""

    data: "np.ndarray"  # float32 weights
    indices: "np.ndarray"  # term of each weight
    indptr: "np.ndarray"  # row r is data[indptr[r]:indptr[r + 1]]
    terms: int

    def matrix(self) -> "scipy.sparse.csr_matrix":
        import scipy.sparse  # imported only here: a small site never needs it (0.15 s)

        return scipy.sparse.csr_matrix((self.data, self.indices, self.indptr),
                                       shape=(len(self.indptr) - 1, self.terms))

    def dense(self) -> "np.ndarray":
        import numpy as np

        rows = len(self.indptr) - 1
        matrix = np.zeros((rows, self.terms), dtype=np.float32)
        matrix[np.repeat(np.arange(rows), np.diff(self.indptr)), self.indices] = self.data
        return matrix


class Vocabulary(NamedTuple):
    """The words a model kept: their hashes, sorted (column c is ``hashes[c]``), and their idf."""

    hashes: "np.ndarray"  # uint64
    idf: "np.ndarray"  # float32


def tfidf_rows(texts: Sequence[str], jobs: int = 1, base: int | None = None) -> Rows | None:
    """Return the L2-normalised TF-IDF rows of ``texts``, or None when they share no word."""
    model = tfidf_model(texts, jobs, base)
    return model[0] if model else None


def tfidf_model(texts: Sequence[str], jobs: int = 1, base: int | None = None) -> tuple[Rows, Vocabulary] | None:
    """Return the TF-IDF rows of ``texts`` and the vocabulary that makes them, or None when they share no word.

    With ``base``, words are weighed by their document frequency in the
    first ``base`` texts, as if those were the corpus, and texts after them
    change none of the base's rows. A word the base has fewer than MIN_DF
    times (new, or newly common) is left out of the base's rows and weighed
    in the later texts' rows by its frequency in all the texts, against the
    base's size. Without ``base``, all texts weigh.

    Works block by block (of _BLOCK texts), so that memory holds the counts
    and the result, never a copy of every text or one array per word.
    """
    import numpy as np

    if len(texts) < 2:
        return None
    starts = range(0, len(texts), _BLOCK)
    blocks = list(map_chunks(_count_block, starts, texts, jobs))
    # Term numbers in hash order, so that each row's terms stay sorted.
    vocabulary = _sorted_distinct(np.concatenate([block[0] for block in blocks]))
    base = len(texts) if base is None else min(base, len(texts))
    df = np.zeros(len(vocabulary), dtype=np.int64)
    base_df = df if base == len(texts) else np.zeros(len(vocabulary), dtype=np.int64)
    for index, (words, text_of, local_terms, counts) in enumerate(blocks):
        numbers = np.searchsorted(vocabulary, words).astype(np.int32)  # distinct within a block
        df[numbers] += np.bincount(local_terms, minlength=len(words))
        if base_df is not df and starts[index] < base:
            of_base = text_of < base - starts[index]
            base_df[numbers] += np.bincount(local_terms[of_base], minlength=len(words))
        blocks[index] = (numbers, text_of, local_terms, counts)
    # The base's texts carry only the words it has at least MIN_DF times,
    # weighed by it alone, so that later texts change none of their weights. A
    # word rarer there is carried by the later texts alone, if they share it,
    # weighed by all the texts.
    in_base = base_df >= MIN_DF
    weighing_df = np.where(in_base, base_df, df)
    wanted = (in_base | (df - base_df >= MIN_DF)) & (weighing_df <= MAX_DF_SHARE * base)
    wanted[_places_of(vocabulary, word_hashes(sorted(STOP_WORDS))[1])] = False
    if not wanted.any():
        return None
    column = (np.cumsum(wanted) - 1).astype(np.int32)
    idf = (np.log((1 + base) / (1 + weighing_df[wanted])) + 1).astype(np.float32)
    base_words = wanted & in_base

    def carried(numbers, text_of, local_terms, start):
        """Return which of a block's (text, word) counts the text's row carries."""
        if min(start + _BLOCK, len(texts)) <= base:
            return base_words[numbers][local_terms]
        if start >= base:
            return wanted[numbers][local_terms]
        return np.where(text_of < base - start, base_words[numbers][local_terms], wanted[numbers][local_terms])

    # The matrix is filled in place block by block, each block's counts freed
    # once used: memory never holds the counts and the matrix twice over.
    nnz = sum(int(carried(numbers, text_of, local_terms, start).sum())
              for (numbers, text_of, local_terms, _), start in zip(blocks, starts))
    indices = np.empty(nnz, dtype=np.int32)
    data = np.empty(nnz, dtype=np.float32)
    row_sizes = np.zeros(len(texts), dtype=np.int64)
    filled = 0
    for index, start in enumerate(starts):
        numbers, text_of, local_terms, counts = blocks[index]
        blocks[index] = None
        kept = carried(numbers, text_of, local_terms, start)
        text_of, columns = text_of[kept], column[numbers[local_terms[kept]]]
        weights = (1 + np.log(counts[kept].astype(np.float32))) * idf[columns]
        size = min(_BLOCK, len(texts) - start)
        norms = np.sqrt(np.bincount(text_of, weights=weights.astype(np.float64) ** 2, minlength=size))
        with np.errstate(invalid="ignore", divide="ignore"):
            weights /= norms[text_of].astype(np.float32)
        indices[filled: filled + len(columns)] = columns
        data[filled: filled + len(columns)] = weights
        filled += len(columns)
        row_sizes[start: start + size] = np.bincount(text_of, minlength=size)
    index_type = np.int32 if nnz < 2 ** 31 else np.int64
    indptr = np.concatenate(([0], np.cumsum(row_sizes))).astype(index_type)
    rows = Rows(data, indices.astype(index_type, copy=False), indptr, int(wanted.sum()))
    return rows, Vocabulary(vocabulary[wanted], idf)


def project(texts: Sequence[str], vocabulary: Vocabulary) -> Rows:
    """Return the TF-IDF rows of ``texts`` in ``vocabulary``'s columns and weights.

    Texts that were not part of the model (a reader's own library) are
    weighed as if they were: words the model dropped count for nothing, so a
    row is comparable by cosine with the model's own rows. A text without any
    kept word gets an empty row.
    """
    import numpy as np

    data_parts, index_parts, row_sizes = [], [], np.zeros(len(texts), dtype=np.int64)
    for start in range(0, len(texts), _BLOCK):
        block = [str(text) for text in texts[start: start + _BLOCK]]
        text_of, hashes = word_hashes(block)
        places = np.searchsorted(vocabulary.hashes, hashes)
        known = places < len(vocabulary.hashes)
        known[known] = vocabulary.hashes[places[known]] == hashes[known]
        text_of, columns = text_of[known].astype(np.int64), places[known].astype(np.int64)
        # One sort of (text, column) keys, then the runs of equal keys: each word's count in each text.
        keys = np.sort((text_of << 32) | columns)
        firsts = np.flatnonzero(np.diff(keys, prepend=-1))
        counts = np.diff(np.append(firsts, len(keys))).astype(np.float32)
        keys = keys[firsts]
        text_of, columns = keys >> 32, keys & 0xFFFFFFFF
        weights = (1 + np.log(counts)) * vocabulary.idf[columns]
        norms = np.sqrt(np.bincount(text_of, weights=weights.astype(np.float64) ** 2, minlength=len(block)))
        weights /= norms[text_of].astype(np.float32)
        data_parts.append(weights.astype(np.float32))
        index_parts.append(columns.astype(np.int32))
        row_sizes[start: start + len(block)] = np.bincount(text_of, minlength=len(block))
    data = np.concatenate(data_parts) if data_parts else np.zeros(0, dtype=np.float32)
    indices = np.concatenate(index_parts) if index_parts else np.zeros(0, dtype=np.int32)
    indptr = np.concatenate(([0], np.cumsum(row_sizes))).astype(np.int64)
    return Rows(data, indices, indptr, len(vocabulary.hashes))
