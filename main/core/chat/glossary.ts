// Words of the domain the question layer should know before any library teaches it: the general words operators
// use for what a micrograph shows (defects, morphology), the measurements Emma makes of it, and the
// parts of a specimen. They only feed the refusal model's "unknown words" signal (intent.ts): a question about a
// die, an anomaly or a median ECD is about the image, not a topic Emma never learnt. Deliberately absent: names of
// specific kinds (martensite, void, nanowire…), which would be classes: a kind the site's taxonomy does not have
// must stay unknown, so that "is this martensite?" is refused on a wafer library rather than answered "No"; what an
// image cannot show (composition, temperature, yield, cost, people); and instrument settings (acquisition.ts
// answers those from the file).
export const DOMAIN_GLOSSARY: readonly string[] = [
  // specimens and where on them
  'wafer die chip device substrate film layer coating surface sample specimen region area field frame location spot site edge',
  'line lines trench trenches via vias contact hole holes pad gate fin pattern patterned array grating stripe feature structure',
  // defects and failure analysis, in general words (a specific kind is a class: see above)
  'defect defects defective flaw fault anomaly anomalous abnormal irregular irregularity failure fail mode issue problem damage damaged',
  'diagnose diagnosis inspect inspection review classify classification category',
  // morphology in general words
  'morphology texture roughness rough smooth grain grains boundary boundaries shape round spherical elongated faceted',
  'particle particles agglomerate agglomerates agglomerated aggregate cluster clustered isolated dispersed',
  // measurement
  'size sizes diameter radius width length height depth thickness pitch spacing distance separation period periodicity',
  'area perimeter feret ecd equivalent circle aspect ratio circularity distribution histogram median mean average percentile',
  'count number density coverage fraction cd critical dimension ler lwr uniformity variation deviation sigma nm nanometre micron',
  // imaging of the specimen
  'micrograph image picture scan view contrast bright dark brightness intensity topography',
];
