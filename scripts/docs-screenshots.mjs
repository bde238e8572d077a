// `node scripts/docs-screenshots.mjs`: runs the end-to-end tests, then turns the screenshots they leave in
// test-results/ into the small PNGs the README shows (docs/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import sharp from 'sharp';

const shots = ['library', 'image-view', 'teacher', 'review', 'train', 'chat'];
const r = spawnSync('npm', ['run', 'test:e2e'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status || 1);
mkdirSync('docs', { recursive: true });
for (const name of shots) {
  const src = `test-results/${name}.png`;
  if (!existsSync(src)) {
    console.error(`missing ${src}`);
    continue;
  }
  await sharp(src).resize({ width: 1100, withoutEnlargement: true }).png({ palette: true, quality: 90, effort: 10 }).toFile(`docs/${name}.png`);
  console.log(`docs/${name}.png`);
}
