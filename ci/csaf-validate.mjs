// Runs the outside CSAF validator (npm @secvisogram/csaf-validator-lib) over CSAF 2.0 documents:
// the strict CSAF 2.0 JSON schema and every mandatory test (section 6.1) must pass; the optional
// (6.2) and informative (6.3) tests are run and their findings printed, except 6.3.6-6.3.8, which
// go online or need hunspell. Exit status 1 when any document has an error.
//
// Usage: node ci/csaf-validate.mjs LIB_DIR FILE.json...   (LIB_DIR: where the package is installed)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [libDir, ...files] = process.argv.slice(2)
if (!libDir || files.length === 0) {
  console.error('usage: node csaf-validate.mjs LIB_DIR FILE.json...')
  process.exit(2)
}
const lib = (m) => import(pathToFileURL(join(libDir, 'node_modules/@secvisogram/csaf-validator-lib', m)).href)
const validate = (await lib('validate.js')).default
const schema = await lib('schemaTests.js')
const mandatory = await lib('mandatoryTests.js')
const optional = await lib('optionalTests.js')
const informative = await lib('informativeTests.js')
const skipped = new Set(['informativeTest_6_3_6', 'informativeTest_6_3_7', 'informativeTest_6_3_8'])
const hard = [schema.csaf_2_0_strict, ...Object.values(mandatory)]
const soft = [...Object.values(optional), ...Object.values(informative).filter((t) => !skipped.has(t.name))]
if (hard.length < 40) {
  console.error(`only ${hard.length} schema and mandatory tests found: the package layout changed`)
  process.exit(2)
}

let failed = 0
for (const file of files) {
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const strict = await validate(hard, doc)
  const advice = await validate(soft, doc)
  const errors = strict.tests.flatMap((t) => t.errors.map((e) => `${t.name} ${e.instancePath}: ${e.message}`))
  const notes = advice.tests.flatMap((t) =>
    [...t.errors, ...t.warnings, ...t.infos].map((e) => `${t.name} ${e.instancePath}: ${e.message}`),
  )
  for (const n of notes) console.log(`${file}: note: ${n}`)
  if (errors.length > 0 || !strict.isValid) {
    failed++
    for (const e of errors) console.log(`${file}: ERROR: ${e}`)
    if (errors.length === 0) console.log(`${file}: ERROR: a test failed without a message`)
  } else {
    console.log(`${file}: valid (${hard.length} schema and mandatory tests, ${soft.length} optional and informative tests run)`)
  }
}
process.exit(failed > 0 ? 1 : 0)
