# A handler file that does not parse, for the Init<SyntaxError> report.

def handler(event:, context:)
  { 'never' => 'reached'
end
