// Validates a speedscope file against the schema speedscope publishes (from
// its npm package), with Ajv. Usage: node validate_speedscope.js FILE
// (run where `npm install speedscope ajv` put node_modules).
const fs = require('fs');
const Ajv = require('ajv');
const schema = require('speedscope/dist/release/file-format-schema.json');
const ajv = new Ajv({strict: false});
const validate = ajv.compile(schema);
const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
if (!validate(doc)) {
  console.error(JSON.stringify(validate.errors, null, 2));
  process.exit(1);
}
console.log('valid');
