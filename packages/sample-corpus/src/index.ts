export { prepareSampleCorpus, sampleCorpusSource } from './sample-corpus.js';
export { markdownToPdfPages, writeSimplePdf, type PdfLine, type PdfOutlineEntry, type PdfPage, type PdfPlacedText, type SimplePdfOptions } from './pdf-writer.js';
