// Templated paraphrases for each question intent: a few sentence frames per intent with interchangeable parts
// ("{kind|type|sort} of {defect|flaw|structure}"), expanded combinatorially and sampled deterministically. The
// seeds (seeds.ts) give the typical wordings; the templates give the spread of vocabulary and word order that
// people bring to the same question, so that a small linear model learns the intent rather than the wording.
// Every template is its own wording group: the group cross-validation (bench/intent.ts, the refusal rule in
// intent.ts) leaves a whole template out, as if nobody had written it.
import type { Intent } from './seeds.js';

export const TEMPLATES: Record<Intent, readonly string[]> = {
  which: [
    '{what|which} {kind|type|sort|class|category} of {defect|feature|structure|pattern|flaw|microstructure} {is this|is shown|is visible|do you see|does this image show|is present|are we looking at}',
    '{identify|name|classify|determine|recognise} the {defect|class|category|structure|microstructure|defect type|phase}{| shown| in this image| of this sample| here}',
    '{what|which} {class|category|label|defect class|type} {would you assign|fits best|applies here|best describes this|does this belong to|is it}',
    '{how would you|can you|please} {classify|categorise|label|identify} {this|this image|this micrograph|it|the sample}',
    '{what|which} {defect|class|category} {is it|are we looking at|am i looking at|do we have here}',
    "{what are we|what am i|what's this i am} looking at",
    '{give|tell me|state} the {class|category|defect type|label|classification}{| of this image| for this micrograph}',
    '{what|which} is the {most likely|best|predicted|top|probable} {class|category|label|match|defect}',
    "{what's|what is} {shown|visible|pictured} {here|in this image|in the micrograph|on this frame}",
    '{which|what} {of the classes|defect category|class of the taxonomy} does {this|the image|this micrograph} {fall into|belong to|match}',
  ],
  yesno: [
    '{is there|are there|is there a|is there any|are there any} xclassx{| in this image| here| visible| present| in the micrograph| at all}',
    '{do you see|can you see|can you spot|do i see|can i see|do we have} {a|any|} xclassx{| here| in this image| anywhere}',
    '{does|would} {this|this image|the micrograph|the sample|it} {show|contain|have|exhibit|display|include} {a|any|} xclassx',
    '{is this|is it|is this image|is this sample} {a|an|} xclassx{| case| defect| sample| image}',
    '{is|are} {a|any|} xclassx {visible|present|shown|detectable|there|to be seen}',
    '{any|some} xclassx{| here| in this image| visible| present}',
    '{yes or no|answer yes or no|true or false} {is there|does it show|is this|do you see} xclassx',
    '{does|do} {this|the image|it} {look like|resemble|count as|qualify as} xclassx',
    '{would you say|do you think|is it likely that|could it be that} {this is|there is|it shows|the image contains} xclassx',
    '{is there|are there|do you see} {a defect|any defects|any flaw|anything wrong|a problem|a fault}{| here| in this image| in the sample}',
    '{is|does} {this|the sample|the image|this wafer} {defective|faulty|damaged|look ok|look clean|look fine}',
    '{is there|is it} {xclassx or xclassx|a xclassx or a xclassx}',
  ],
  measure: [
    '{how|what} {large|big|wide|long|thick|small} {are|is} the {features|particles|lines|grains|defect|crack|vias|gap}',
    'what is the {size|width|diameter|length|thickness|pitch|spacing|area|density} of the {features|particles|lines|grains|vias|defect|crack}',
    'how many {particles|vias|lines|grains|features|defects|holes|objects} {are there|are visible|can you count|do you see|are in this image}',
    '{count|measure|estimate|quantify} the {particles|lines|vias|grains|features|line width|spacing|particle size|gap}',
    'how far apart are the {lines|features|particles|vias|stripes}',
    'what is the {mean|average|median|typical} {size|width|diameter|spacing|particle size|grain size|line width}{| in nm| in microns}',
    '{give me|report|what are} the {dimensions|measurements|size distribution|line width|critical dimension|particle count}',
    '{what|how much} is the {distance|gap|separation|spacing} between {the lines|neighbouring lines|the features|the particles|adjacent vias}',
    '{how|what} {wide|narrow|thick} {is the line|are the trenches|is the gap|is each line}{| in nm|}',
  ],
  calibration: [
    'what is the {pixel size|scale|field of view|resolution|image size|calibration|nm per pixel}{| of this image| of the micrograph| here}',
    'how many {nm|nanometres|nanometers|microns} {per pixel|does one pixel cover|is one pixel|does a pixel span}',
    'how {big|large|wide} is {the field of view|one pixel|a pixel|the imaged area|the frame|the scanned area}',
    '{is this image calibrated|is there a scale|does the image have a calibration|what does one pixel correspond to}',
    'what {area|region|width} does {the image|this frame|the micrograph} {cover|span|show}',
    'how many pixels {wide|tall|high|across} is {the image|this micrograph|the frame}',
    '{what are|give me} the {image dimensions|pixel dimensions|frame dimensions}{| in pixels| in nm}',
  ],
  describe: [
    '{describe|summarise|summarize|characterise|explain} {the image|this micrograph|the morphology|the microstructure|what you see|the surface|the texture|the sample}',
    '{give|write|provide|make} {a caption|a description|a summary|an overview|a short description}{| of this image| for this micrograph| of the sample}',
    'what does {the image|this micrograph|the sample|the surface|the microstructure|it} look like',
    '{talk me through|walk me through|tell me about} {this image|this micrograph|what is in the picture|the features|the sample}',
    'how would you describe {this|the image|the morphology|the microstructure|the surface}',
    '{what|which} {features|details|structures} {stand out|are noteworthy|can you describe}',
    'what is the {morphology|texture|appearance|overall look} {like|of the sample|of the surface|here}',
  ],
  process: [
    '{what|which} {process step|fabrication step|processing step|stage of the process|heat treatment|treatment|step} {caused this|produced this|does this suggest|does this point to|is this from|was applied}',
    'what {should i|should we|do i need to|must we} {check|inspect|look at|fix|adjust} next',
    '{what|which} is the {likely|probable|root|most likely} {cause|origin|source} of {this|this defect|the defect|the problem}',
    'how was {this sample|this|the specimen|this steel|this wafer|the material} {made|processed|produced|prepared|treated|heat treated}',
    'where in the {process|fab|process flow|line} did this {happen|occur|originate|come from}',
    '{why|how} did {this|this defect|the structure|the microstructure} {form|occur|happen|develop|arise}',
    '{what|which} {processing|treatment|annealing|cooling} {history|route|schedule} {does this show|gave this|led to this}',
  ],
  oos: [
    "{what is|what's|how is|what will be} the weather {today|tomorrow|this weekend|outside|like now}",
    '{will it|is it going to} {rain|snow|be sunny|be windy} {today|tomorrow|on friday|this afternoon}',
    '{who|which person} {took|acquired|made|prepared|imaged|approved} {this image|this sample|the picture|the scan}',
    '{what|how much} {does|did} {this|the wafer|the microscope|the instrument|the sample|the analysis} cost',
    'what {was|is} the {acceleration voltage|beam current|working distance|dwell time|spot size|detector|stage tilt|vacuum level|chamber pressure|beam energy|emission current|aperture}{| used| for this image| of the microscope}',
    '{which|what} {microscope|detector|instrument|software|camera} {was used|took this|model is this|did they use}',
    '{tell me|write|compose|make up} a {joke|story|poem|song|riddle}',
    '{who|what} is the {president|prime minister|ceo|mayor|king} of {france|the company|intel|germany|the city}',
    '{what time|what day|what date|which month} is it{| now| today}',
    '{book|schedule|cancel|move} a {meeting|flight|table|room|call}{| for tomorrow| on friday| next week}',
    '{send|write|draft|forward} an email to {my boss|the team|the customer|everyone}',
    '{how do i|can you|help me} {cook|bake|make|order} {pasta|a cake|coffee|pizza|dinner}',
    '{what is|how much is|calculate} {two plus two|the square root of sixteen|ten times five|seven minus three}',
    '{who won|what was the score of|who played in} the {game|match|election|final} {yesterday|last night|last week}',
    '{what|which} {lot number|wafer id|batch number|serial number|customer order|purchase order} {is this|does this belong to|is it from}',
    '{how are you|how is it going|are you a robot|what is your name|do you like me|are you happy}',
    '{translate|summarise|proofread} {this email|the document|my text|this letter}{| into german| into french| for me}',
    '{what|where} is the {nearest|best|cheapest} {restaurant|hospital|train station|hotel|pharmacy}',
    '{recommend|suggest} a {movie|book|restaurant|holiday destination|podcast}',
    '{what will|how will} {the stock market|the exchange rate|the share price|the economy} {do|look|move} {tomorrow|next week|next year}',
    '{who|when} {invented|discovered|built} {the microscope|electricity|the transistor|the internet}',
    '{what is|explain} {the meaning of life|quantum gravity|the theory of relativity|the history of rome}',
  ],
};

/** Expands `{a|b|}` alternatives (no nesting; an empty alternative drops the part), at most `cap` per template. */
export function expandTemplate(t: string, cap: number, rand: () => number): string[] {
  const parts = t.split(/(\{[^}]*\})/).filter((p) => p !== '');
  const options = parts.map((p) => (p.startsWith('{') ? p.slice(1, -1).split('|') : [p]));
  const total = options.reduce((n, o) => n * o.length, 1);
  const tidy = (s: string) => s.replace(/\s+/g, ' ').trim();
  const out = new Set<string>();
  if (total <= cap) {
    const rec = (i: number, acc: string) => {
      if (i === options.length) {
        out.add(tidy(acc));
        return;
      }
      for (const o of options[i]) rec(i + 1, acc + o);
    };
    rec(0, '');
    return [...out];
  }
  for (let tries = 0; out.size < cap && tries < cap * 8; tries++) out.add(tidy(options.map((o) => o[Math.floor(rand() * o.length)]).join('')));
  return [...out];
}
