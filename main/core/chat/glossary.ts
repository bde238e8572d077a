// Words of the domain the question layer should know before any library teaches it: what operators call the
// things a micrograph shows (defects, morphology, microstructure), the measurements Emma makes of them, and the
// parts of a specimen. They only feed the refusal model's "unknown words" signal (intent.ts): a question about a
// die, an anomaly or a median ECD is about the image, not a topic Emma never learnt. Deliberately absent: what an
// image cannot show (composition, temperature, yield, cost, people) and instrument settings (acquisition.ts answers
// those from the file), so those still read as unknown.
export const DOMAIN_GLOSSARY: readonly string[] = [
  // specimens and where on them
  'wafer die chip device substrate film layer coating surface sample specimen region area field frame location spot site edge',
  'line lines trench trenches via vias contact hole holes pad gate fin pattern patterned array grating stripe feature structure',
  // defects and failure analysis
  'defect defects defective flaw fault anomaly anomalous abnormal irregular irregularity failure fail mode issue problem damage damaged',
  'particle particles contamination residue debris void voids pit pits pinhole bump blister delamination peeling collapse',
  'crack cracks fracture scratch scratches bridge bridging short shorted open break broken gap missing extra merged necking pinch',
  'diagnose diagnosis inspect inspection review classify classification category',
  // morphology and microstructure
  'morphology texture roughness rough smooth grain grains boundary boundaries phase phases precipitate precipitates inclusion',
  'lamella lamellae lamellar spheroid spheroidal network cementite ferrite pearlite martensite dendrite pore pores porous porosity',
  'agglomerate agglomerates agglomerated aggregate cluster clustered isolated dispersed shape round spherical elongated faceted',
  'fibre fiber wire nanowire rod tube sheet flake crystal crystalline amorphous',
  // measurement
  'size sizes diameter radius width length height depth thickness pitch spacing distance separation period periodicity',
  'area perimeter feret ecd equivalent circle aspect ratio circularity distribution histogram median mean average percentile',
  'count number density coverage fraction cd critical dimension ler lwr uniformity variation deviation sigma nm nanometre micron',
  // imaging of the specimen
  'micrograph image picture scan view contrast bright dark brightness intensity topography',
];
