# frozen_string_literal: true

# A handler file whose top-level code raises while being loaded.

raise 'configuration missing'

def handler(event:, context:)
  {}
end
